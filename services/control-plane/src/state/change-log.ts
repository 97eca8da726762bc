/**
 * How many change batches the table change log keeps (issue 16). A gateway that
 * fell further behind gets a snapshot. At a few hundred bytes per single-scheduler
 * or single-key batch, 1,000 of them are well under a megabyte in Redis.
 */
export const DEFAULT_CHANGE_LOG_SIZE = 1_000;
