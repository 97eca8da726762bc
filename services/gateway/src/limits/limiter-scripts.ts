import { luaScript } from '@switchyard/redis';

/** Redis's clock, so every gateway counts in the same windows and lease times whatever its own clock says. */
const NOW = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window = tonumber(ARGV[1])
local idx = math.floor(now / window)
`;

/**
 * One round trip for all of one key's requests in an event-loop turn (issue 6,
 * batched for issue 9): reads the request and token counters of the current and
 * previous minute (hash fields by window index), then for each request in turn
 * applies the sliding-window rule (limits/local-limiter.ts verdictOf) and takes a
 * concurrency slot (a sorted set of leases scored by expiry, so a crashed
 * gateway's slots run out), exactly as if they had come one by one; admitted
 * requests are counted, all or nothing.
 * KEYS: requests hash, tokens hash, slots zset.
 * ARGV: window_ms, rpm, tpm, max_concurrency, lease_ms, then one slot member per
 * request ('' when max_concurrency is 0).
 * Returns {elapsed_ms, then per request: verdict (0 ok, 1 rpm, 2 tpm, 3 concurrency), requests, previous requests, tokens, previous tokens}.
 */
export const ACQUIRE = luaScript(`${NOW}
local rpm, tpm, maxc, lease = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local weight = (window - (now - idx * window)) / window
local r = {0, 0}
if rpm > 0 then
  local v = redis.call('HMGET', KEYS[1], idx, idx - 1)
  r = {tonumber(v[1]) or 0, tonumber(v[2]) or 0}
end
local k = {0, 0}
if tpm > 0 then
  local v = redis.call('HMGET', KEYS[2], idx, idx - 1)
  k = {tonumber(v[1]) or 0, tonumber(v[2]) or 0}
end
local held = 0
if maxc > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now)
  held = redis.call('ZCARD', KEYS[3])
end
local out = {now - idx * window}
local slots = {}
local admitted = 0
for i = 6, #ARGV do
  local verdict = 0
  if rpm > 0 and r[2] * weight + r[1] + 1 > rpm then verdict = 1
  elseif tpm > 0 and k[2] * weight + k[1] + 1 > tpm then verdict = 2
  elseif maxc > 0 and held >= maxc then verdict = 3
  end
  if verdict == 0 then
    admitted = admitted + 1
    if rpm > 0 then r[1] = r[1] + 1 end
    if maxc > 0 then
      held = held + 1
      slots[#slots + 1] = now + lease
      slots[#slots + 1] = ARGV[i]
    end
  end
  out[#out + 1] = verdict
  out[#out + 1] = r[1]
  out[#out + 1] = r[2]
  out[#out + 1] = k[1]
  out[#out + 1] = k[2]
end
if #slots > 0 then
  redis.call('ZADD', KEYS[3], unpack(slots))
  redis.call('PEXPIRE', KEYS[3], lease * 2)
end
if admitted > 0 and rpm > 0 then
  redis.call('HINCRBY', KEYS[1], idx, admitted)
  redis.call('HDEL', KEYS[1], idx - 2)
  redis.call('PEXPIRE', KEYS[1], window * 2)
end
return out
`);

/**
 * After the responses of one key in one turn: adds the tokens they used to the
 * current minute and hands back their slots. KEYS: tokens hash, slots zset.
 * ARGV: window_ms, tokens, then the slot members to free (none or more).
 */
export const RELEASE = luaScript(`${NOW}
local tokens = tonumber(ARGV[2])
if tokens > 0 then
  redis.call('HINCRBY', KEYS[1], idx, tokens)
  redis.call('HDEL', KEYS[1], idx - 2)
  redis.call('PEXPIRE', KEYS[1], window * 2)
end
if #ARGV > 2 then redis.call('ZREM', KEYS[2], unpack(ARGV, 3)) end
return 1
`);

/** Extends a long request's slot lease. KEYS: slots zset. ARGV: window_ms (unused), slot member, lease_ms. */
export const RENEW = luaScript(`${NOW}
local lease = tonumber(ARGV[3])
redis.call('ZADD', KEYS[1], 'XX', now + lease, ARGV[2])
redis.call('PEXPIRE', KEYS[1], lease * 2)
return 1
`);
