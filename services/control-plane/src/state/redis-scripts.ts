import { luaScript } from '@switchyard/redis';

/**
 * Scheduler writes: the record, its self-registration lease key and the change
 * announcement in one atomic step, so a listener never hears of a change that is
 * not stored yet. Modes: 'any' (upsert), 'equals' (compare-and-set against the
 * JSON read before), 'absent' (create only).
 * KEYS: schedulers, lease. ARGV: id, mode, expected, json, lease_px (0 = none), channel, message.
 */
export const WRITE_SCHEDULER = luaScript(`
local current = redis.call('HGET', KEYS[1], ARGV[1])
if ARGV[2] == 'absent' and current then return 0 end
if ARGV[2] == 'equals' and current ~= ARGV[3] then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[4])
local px = tonumber(ARGV[5])
if px > 0 then redis.call('SET', KEYS[2], '1', 'PX', px) else redis.call('DEL', KEYS[2]) end
redis.call('PUBLISH', ARGV[6], ARGV[7])
return 1
`);

/**
 * Removes a scheduler and its lease, optionally only when it is still exactly
 * the record read before (expiry must not remove a record that a heartbeat just
 * renewed).
 * KEYS: schedulers, lease. ARGV: id, expected ('' = any), channel, message.
 */
export const REMOVE_SCHEDULER = luaScript(`
if ARGV[2] ~= '' and redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[2] then return 0 end
if redis.call('HDEL', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('DEL', KEYS[2])
redis.call('PUBLISH', ARGV[3], ARGV[4])
return 1
`);

/**
 * Stores a routing table when its (epoch, version) is newer than the stored one.
 * With an owner (the leader's fencing token) the write is also refused unless
 * that owner holds the leader lease, the state generation is the writer's, and no
 * newer epoch was handed out: a paused or partitioned old leader can never roll
 * the table back. Raises the version counter to the stored version. Appends the
 * change batch leading to this table to the change log and trims the log to its
 * size; a table without a batch empties the log (nothing in it leads there).
 * The table is stored split (issue 16, libs/redis stored-table.ts): the routes on
 * every version; the keys in the key set (KEYS[7], key SHA-256 → record JSON),
 * named by `keys_ref`, in one of three ways:
 * - 'keep': the stored set is the table's (its ref and its size must match);
 * - 'patch': the writer's key changes applied to the set named by the base ref,
 *   which must be the stored one with the stored size (one field per changed key);
 * - 'full': the set replaced by every key (a new leader, a refused patch), which
 *   the writer staged beforehand in KEYS[8] in small commands (one script with
 *   100,000 keys would hold Redis for over a second), so the script gets no key;
 *   renamed into place, the replaced set freed in the background (UNLINK).
 * A refused 'keep' or 'patch' (Redis lost the set, another writer changed it, a
 * timed-out write was applied after all) returns -4 with nothing written, and the
 * writer sends 'full'; a staged set without every key returns -4 too. The legacy
 * record is PUT_LEGACY_TABLE's.
 * KEYS: table, seq, leader, epoch, generation, changes, key set, staged key set.
 * ARGV: routes json, epoch, version, owner ('' = unfenced), generation, channel, message,
 * change batch json ('' = none), change log size, keys ref, key count, key write
 * ('keep' | 'patch' | 'full'), base keys ref, number of upserted keys U, then U
 * pairs (hash, record json), then the hashes removed (both for 'patch' only).
 * Returns 1 stored, 0 not newer, -1 not the lease holder, -2 other generation,
 * -3 stale epoch, -4 the key set is not the one the write is based on.
 */
export const PUT_TABLE = luaScript(`
local epoch = tonumber(ARGV[2])
local version = tonumber(ARGV[3])
if ARGV[4] ~= '' then
  if redis.call('GET', KEYS[3]) ~= ARGV[4] then return -1 end
  if redis.call('GET', KEYS[5]) ~= ARGV[5] then return -2 end
  if tonumber(redis.call('GET', KEYS[4]) or '0') > epoch then return -3 end
end
local stored = redis.call('HMGET', KEYS[1], 'epoch', 'version', 'keys_ref', 'keys_count')
if stored[1] then
  local e = tonumber(stored[1])
  if e > epoch or (e == epoch and tonumber(stored[2]) >= version) then return 0 end
end
local mode = ARGV[12]
local upserts = tonumber(ARGV[14])
local size = redis.call('HLEN', KEYS[7])
if mode == 'keep' then
  if stored[3] ~= ARGV[10] or size ~= tonumber(ARGV[11]) then return -4 end
elseif mode == 'patch' then
  if stored[3] ~= ARGV[13] or size ~= tonumber(stored[4] or '-1') then return -4 end
else
  if redis.call('HLEN', KEYS[8]) ~= tonumber(ARGV[11]) then return -4 end
  redis.call('UNLINK', KEYS[7])
  if tonumber(ARGV[11]) > 0 then
    redis.call('RENAME', KEYS[8], KEYS[7])
    redis.call('PERSIST', KEYS[7])
  end
  -- The layout before the key set kept the list as a string at <table>:keys:<keys_ref> (docs/contracts.md).
  if stored[3] then redis.call('UNLINK', KEYS[1] .. ':keys:' .. stored[3]) end
end
-- Fields in slices: a large patch (a key file replaced) would overflow Lua's stack in one unpack().
local first = 15
local last = 14 + 2 * upserts
while first <= last do
  local stop = math.min(first + 999, last)
  redis.call('HSET', KEYS[7], unpack(ARGV, first, stop))
  first = stop + 1
end
first = 15 + 2 * upserts
while first <= #ARGV do
  local stop = math.min(first + 999, #ARGV)
  redis.call('HDEL', KEYS[7], unpack(ARGV, first, stop))
  first = stop + 1
end
-- A writer's key changes that do not add up (a defect): no version on a set readers would refuse; the writer sends 'full'.
if redis.call('HLEN', KEYS[7]) ~= tonumber(ARGV[11]) then
  redis.call('HSET', KEYS[1], 'keys_ref', '')
  return -4
end
redis.call('HSET', KEYS[1], 'routes', ARGV[1], 'keys_ref', ARGV[10], 'keys_count', ARGV[11], 'epoch', ARGV[2], 'version', ARGV[3])
if tonumber(redis.call('GET', KEYS[2]) or '0') < version then redis.call('SET', KEYS[2], ARGV[3]) end
if ARGV[8] == '' then
  redis.call('DEL', KEYS[6])
else
  redis.call('ZADD', KEYS[6], version, ARGV[8])
  redis.call('ZREMRANGEBYRANK', KEYS[6], 0, -1 - tonumber(ARGV[9]))
end
redis.call('PUBLISH', ARGV[6], ARGV[7])
return 1
`);

/**
 * The legacy whole-table record, written late (a version that skipped it): only
 * while that version is still the stored one, so it never goes back in time.
 * KEYS: table. ARGV: epoch, version, json. Returns 1 written, 0 superseded.
 */
export const PUT_LEGACY_TABLE = luaScript(`
local stored = redis.call('HMGET', KEYS[1], 'epoch', 'version')
if stored[1] ~= ARGV[1] or stored[2] ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], 'json', ARGV[3])
return 1
`);

/**
 * Re-seeding after Redis lost the state: puts back a remembered record unless
 * one with that id was registered again meanwhile (a heartbeat is newer).
 * KEYS: schedulers, lease. ARGV: id, json, lease_px (0 = none), channel, message.
 */
export const SEED_SCHEDULER = luaScript(`
if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 0 then return 0 end
local px = tonumber(ARGV[3])
if px > 0 then redis.call('SET', KEYS[2], '1', 'PX', px) end
redis.call('PUBLISH', ARGV[4], ARGV[5])
return 1
`);
