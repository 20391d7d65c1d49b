-- Tokenherd: the fenced compare-and-set of one credential's record, atomic in Redis.
--
-- KEYS[1]  the record hash
-- ARGV[1]  expected version ("0": no record)     ARGV[2]  next schema
-- ARGV[3]  next version                          ARGV[4]  next fence
-- ARGV[5]  channel to PUBLISH the next version on, or "" for none
-- ARGV[6]  the next record's refresh mark id, or "" for none
-- ARGV[7]  that mark's window in milliseconds (how long its holder may still be sending)
-- ARGV[8]  the next record's generation ("" for a record of no generation)
-- ARGV[9]  channel to announce a metadata change on (a refresh mark written, settled or taken
--          back: "<version>:<window ms>:<mark id>", window 0 for a record with no live mark, mark
--          id empty for a record with no mark), or "" for none
-- ARGV[10] the command both channels are published with: PUBLISH, or SPUBLISH on a Redis Cluster
--          (a shard channel stays on the credential's slot: its hash tag is the record's)
-- ARGV[11] "1" to return this node's CLUSTER MYID with an applied write (a cluster store that
--          waits for replicas sends WAIT to the node that applied the write), else ""
-- ARGV[12] n, then n field/value pairs to HSET, then the fields to HDEL (absent in the new record)
--
-- Returns {"APPLIED", <error of the PUBLISH, or "">, <node id, or "">} (the write stands even when
-- it could not be announced), or {reason, <HGETALL of the stored record>} with reason one of
-- SCHEMA_NEWER, FENCE_REJECTED, VERSION_MOVED, MARK_HELD, CORRUPT (schema, version or fence
-- unreadable).
--
-- A stored record of another generation than the next one was deleted and created again since the
-- writer read it: VERSION_MOVED, even where the version numbers match.
--
-- A refresh mark is live until mark_until (this server's clock, epoch milliseconds: TIME when the
-- mark was applied, plus its window). A write that carries a mark is refused with MARK_HELD while
-- another mark (another mark_id) is live: its holder may be sending a token request now, whatever
-- became of the lock (an evicted lock key, a failover that lost it).
--
-- Numbers are compared as decimal strings (length, then lexically), never as Lua numbers: those
-- are doubles, which cannot tell fences above 2^53 apart. (Milliseconds since 1970 stay below 2^53
-- for another 285,000 years, so mark_until is computed as a number.)

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

local expected, schema, version, fence, channel, mark_id, mark_window, generation, announce =
  ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[8], ARGV[9]
local publish, report_node = ARGV[10], ARGV[11]

local function now_ms()
  local time = redis.call('TIME')
  return tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
end

if redis.call('EXISTS', KEYS[1]) == 1 then
  local stored = redis.call('HMGET', KEYS[1], 'schema', 'version', 'fence', 'generation')
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
  if stored[2] ~= expected or (stored[4] or '') ~= generation then
    return rejected('VERSION_MOVED')
  end
  if mark_id ~= '' then
    local held = redis.call('HMGET', KEYS[1], 'mark_id', 'mark_until')
    if held[1] and held[1] ~= mark_id and held[2] and tonumber(held[2])
        and now_ms() < tonumber(held[2]) then
      return rejected('MARK_HELD')
    end
  end
elseif expected ~= '0' then
  return {'VERSION_MOVED'}
end

local pairs_count = tonumber(ARGV[12])
local hset = {'HSET', KEYS[1]}
for i = 13, 12 + 2 * pairs_count do
  hset[#hset + 1] = ARGV[i]
end
if mark_id ~= '' then
  hset[#hset + 1] = 'mark_id'
  hset[#hset + 1] = mark_id
  hset[#hset + 1] = 'mark_until'
  hset[#hset + 1] = string.format('%d', now_ms() + tonumber(mark_window))
end
redis.call(unpack(hset))
local first_absent = 13 + 2 * pairs_count
if #ARGV >= first_absent then
  redis.call('HDEL', KEYS[1], unpack(ARGV, first_absent))
end
if mark_id == '' then
  redis.call('HDEL', KEYS[1], 'mark_id', 'mark_until')
end
-- pcall from here on: an error would end the script after the writes above, which stand (a script
-- is not rolled back), and the caller would take an applied write for a failed one.
local unannounced = ''
if channel ~= '' then
  -- Only the version travels on the channel, never a token. A refused PUBLISH (an ACL without
  -- +publish or +spublish) is reported.
  local published = redis.pcall(publish, channel, version)
  if type(published) == 'table' and published.err then
    unannounced = published.err
  end
end
if announce ~= '' and version == expected then
  -- A hint that lets other workers leave their refresh ahead of expiry to this holder; a refused
  -- PUBLISH is reported by the version notices, which need the same permission, so it is dropped.
  local window = mark_id ~= '' and mark_window or '0'
  redis.pcall(publish, announce, version .. ':' .. window .. ':' .. mark_id)
end
local node = ''
if report_node == '1' then
  -- A refusal (an ACL without +cluster|myid) leaves the node unknown: the store then reports the
  -- write as confirmed by no replica, never as failed.
  local id = redis.pcall('CLUSTER', 'MYID')
  if type(id) == 'string' then
    node = id
  end
end
return {'APPLIED', unannounced, node}
