import { luaScript } from '@switchyard/redis';

/** Redis's clock, so every gateway counts in the same windows and lease times whatever its own clock says. */
const NOW = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window = tonumber(ARGV[1])
local idx = math.floor(now / window)
`;

/**
 * One round trip per request (issue 6): reads the request and token counters of
 * the current and previous minute (hash fields by window index), applies the
 * sliding-window rule (limits/local-limiter.ts verdictOf), takes a concurrency
 * slot (a sorted set of leases scored by expiry, so a crashed gateway's slots
 * run out) and counts the request, all or nothing.
 * KEYS: requests hash, tokens hash, slots zset.
 * ARGV: window_ms, rpm, tpm, max_concurrency, slot member, lease_ms.
 * Returns {verdict (0 ok, 1 rpm, 2 tpm, 3 concurrency), elapsed_ms, requests, previous requests, tokens, previous tokens}.
 */
export const ACQUIRE = luaScript(`${NOW}
local rpm, tpm, maxc, lease = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[6])
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
local verdict = 0
if rpm > 0 and r[2] * weight + r[1] + 1 > rpm then verdict = 1
elseif tpm > 0 and k[2] * weight + k[1] + 1 > tpm then verdict = 2
elseif maxc > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now)
  if redis.call('ZCARD', KEYS[3]) >= maxc then verdict = 3
  else
    redis.call('ZADD', KEYS[3], now + lease, ARGV[5])
    redis.call('PEXPIRE', KEYS[3], lease * 2)
  end
end
if verdict == 0 and rpm > 0 then
  r[1] = redis.call('HINCRBY', KEYS[1], idx, 1)
  redis.call('HDEL', KEYS[1], idx - 2)
  redis.call('PEXPIRE', KEYS[1], window * 2)
end
return {verdict, now - idx * window, r[1], r[2], k[1], k[2]}
`);

/**
 * After the response: adds the tokens it used to the current minute and hands
 * back its slot. KEYS: tokens hash, slots zset. ARGV: window_ms, tokens, slot member ('' = none).
 */
export const RELEASE = luaScript(`${NOW}
local tokens = tonumber(ARGV[2])
if tokens > 0 then
  redis.call('HINCRBY', KEYS[1], idx, tokens)
  redis.call('HDEL', KEYS[1], idx - 2)
  redis.call('PEXPIRE', KEYS[1], window * 2)
end
if ARGV[3] ~= '' then redis.call('ZREM', KEYS[2], ARGV[3]) end
return 1
`);

/** Extends a long request's slot lease. KEYS: slots zset. ARGV: window_ms (unused), slot member, lease_ms. */
export const RENEW = luaScript(`${NOW}
local lease = tonumber(ARGV[3])
redis.call('ZADD', KEYS[1], 'XX', now + lease, ARGV[2])
redis.call('PEXPIRE', KEYS[1], lease * 2)
return 1
`);
