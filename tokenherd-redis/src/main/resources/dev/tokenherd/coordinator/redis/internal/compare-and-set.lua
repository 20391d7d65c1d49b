-- Tokenherd: the fenced compare-and-set of one credential's record, atomic in Redis.
--
-- KEYS[1]  the record hash
-- ARGV[1]  expected version ("0": no record)     ARGV[2]  next schema
-- ARGV[3]  next version                          ARGV[4]  next fence
-- ARGV[5]  channel to PUBLISH the next version on, or "" for none
-- ARGV[6]  n, then n field/value pairs to HSET, then the fields to HDEL (absent in the new record)
--
-- Returns {"APPLIED"}, {"APPLIED", <error of the PUBLISH>} when the write stands but could not be
-- announced, or {reason, <HGETALL of the stored record>} with reason one of SCHEMA_NEWER,
-- FENCE_REJECTED, VERSION_MOVED, CORRUPT (schema, version or fence unreadable).
--
-- Numbers are compared as decimal strings (length, then lexically), never as Lua numbers: those
-- are doubles, which cannot tell fences above 2^53 apart.

local function valid(n)
  return n == '0' or (type(n) == 'string' and string.match(n, '^[1-9]%d*$') ~= nil)
end

local function less(a, b)
  if #a ~= #b then
    return #a < #b
  end
  return a < b
end

local function rejected(reason)
  local reply = redis.call('HGETALL', KEYS[1])
  table.insert(reply, 1, reason)
  return reply
end

local expected, schema, version, fence, channel =
  ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]

if redis.call('EXISTS', KEYS[1]) == 1 then
  local stored = redis.call('HMGET', KEYS[1], 'schema', 'version', 'fence')
  if not valid(stored[1]) then
    return rejected('CORRUPT')
  end
  -- Checked first: an older worker must not even judge a record it cannot read.
  if less(schema, stored[1]) then
    return rejected('SCHEMA_NEWER')
  end
  if not valid(stored[2]) or not valid(stored[3]) then
    return rejected('CORRUPT')
  end
  -- Fence before version (as the in-memory reference store): a holder whose lease is over learns
  -- that it was fenced off, even if the version moved too.
  if less(fence, stored[3]) then
    return rejected('FENCE_REJECTED')
  end
  if stored[2] ~= expected then
    return rejected('VERSION_MOVED')
  end
elseif expected ~= '0' then
  return {'VERSION_MOVED'}
end

local pairs_count = tonumber(ARGV[6])
local hset = {'HSET', KEYS[1]}
for i = 7, 6 + 2 * pairs_count do
  hset[#hset + 1] = ARGV[i]
end
redis.call(unpack(hset))
local first_absent = 7 + 2 * pairs_count
if #ARGV >= first_absent then
  redis.call('HDEL', KEYS[1], unpack(ARGV, first_absent))
end
if channel ~= '' then
  -- Only the version travels on the channel, never a token. pcall: an error would end the script
  -- after the writes above, which stand (a script is not rolled back), and the caller would take
  -- an applied write for a failed one. A refused PUBLISH (an ACL without +publish) is reported.
  local published = redis.pcall('PUBLISH', channel, version)
  if type(published) == 'table' and published.err then
    return {'APPLIED', published.err}
  end
end
return {'APPLIED'}
