import { luaScript } from '@switchyard/redis';

/*
 * The leader lease (n8n's pattern: claim with SET NX PX, renew only while still
 * the owner, let every ambiguous outcome fail closed). Every acquisition takes a
 * new epoch; `min_epoch` keeps it above every epoch this replica has seen, since
 * a Redis that lost its data also lost the counter.
 * KEYS everywhere: leader, epoch, generation.
 */

/** Lua fragment: takes the lease for ARGV[1] and leaves the new epoch (above ARGV[3], min_epoch) in local `epoch`. */
const TAKE_LEASE = `
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
local epoch = redis.call('INCR', KEYS[2])
local floor = tonumber(ARGV[3])
if epoch <= floor then
  epoch = floor + 1
  redis.call('SET', KEYS[2], epoch)
end
`;

/**
 * ARGV: token, lease_ms, min_epoch, allow_blank.
 * Returns {1, epoch, generation} acquired (generation '' = state must be seeded),
 * {0, holder, pttl} someone else leads for pttl more ms, {2} the state is blank and
 * allow_blank is not '1' (a follower gives the previous leader the first chance to
 * re-seed it).
 */
export const ACQUIRE_LEASE = luaScript(`
local holder = redis.call('GET', KEYS[1])
local generation = redis.call('GET', KEYS[3])
if holder and holder ~= ARGV[1] then return {0, holder, redis.call('PTTL', KEYS[1])} end
if (not holder) and (not generation) and ARGV[4] ~= '1' then return {2} end
${TAKE_LEASE}
return {1, tostring(epoch), generation or ''}
`);

/**
 * ARGV: token, lease_ms, min_epoch.
 * Returns {1, generation} renewed; {3, epoch} Redis lost everything (no lease,
 * no generation marker) and the lease is reclaimed under a new epoch, so the
 * caller re-seeds; {0, holder} the lease is lost.
 */
export const RENEW_LEASE = luaScript(`
local holder = redis.call('GET', KEYS[1])
local generation = redis.call('GET', KEYS[3])
if holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return {1, generation or ''}
end
if (not holder) and (not generation) then
  ${TAKE_LEASE}
  return {3, tostring(epoch)}
end
return {0, holder or ''}
`);

/** ARGV: token. Deletes the lease only when this token holds it (a clean shutdown hands over at once). */
export const RELEASE_LEASE = luaScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`);
