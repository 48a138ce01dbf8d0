--[[
  enqueue: stores one envelope and queues one delivery per endpoint, due now, atomically.

  KEYS[1] schedule (routes the call to the store's slot)
  ARGV[1] base key prefix "{prefix}:"
  ARGV[2] now (ms, store clock)
  ARGV[3] message id
  ARGV[4] encoded envelope
  ARGV[5] envelope ordering key ("" = none)
  ARGV[6] dedup key ("" = none)
  ARGV[7] dedup TTL (ms)
  ARGV[8] dedup record to store: "<expiresAt>|<result JSON>"
  ARGV[9] event id (envelope id), ARGV[10] event type: for the delivery log indexes
  ARGV[11] how long the event-id index lives (ms): the longest retention
  ARGV[12..] pairs: endpoint id, delivery id

  Delivery log indexes: one ZADD per delivery (ix:ep) and, per message, one ZADD each to ix:all, ix:type and
  ix:evt (all its deliveries at once), a PEXPIRE of ix:evt and a SADD to ix:types: 6 commands for a message with
  one endpoint, inside this script (no extra round trip).

  Returns {"ok"}, {"duplicate", <result JSON>} when the dedup key was seen and has not expired on the store
  clock, or {"unknown", endpoint ids...} when an endpoint has no policy (nothing is written then).
]]

local now = tonumber(ARGV[2])
local mid, envelope, order_key = ARGV[3], ARGV[4], ARGV[5]
local dedup_key, dedup_ttl, dedup_record = ARGV[6], ARGV[7], ARGV[8]
local event_id, event_type = ARGV[9], ARGV[10]

if dedup_key ~= "" then
  local seen = redis.call("GET", K.dedup(dedup_key))
  if seen then
    local sep = string.find(seen, "|", 1, true)
    if sep and tonumber(string.sub(seen, 1, sep - 1)) > now then
      return { "duplicate", string.sub(seen, sep + 1) }
    end
  end
end

local endpoints, unknown = {}, {}
for i = 12, #ARGV, 2 do
  local ep = load_endpoint(ARGV[i])
  if ep then endpoints[#endpoints + 1] = ep else unknown[#unknown + 1] = ARGV[i] end
end
if #unknown > 0 then
  table.insert(unknown, 1, "unknown")
  return unknown
end

-- One delivery (the common case): the envelope lives in the delivery hash ("x" = inline) and shares its
-- lifetime. Fan-out: one message hash, reference-counted by the deliveries not yet settled.
local inline = #endpoints == 1
if #endpoints > 1 then redis.call("HSET", K.message(mid), "env", envelope, "refs", #endpoints) end

local woken = 0
local indexed = {}
for n, ep in ipairs(endpoints) do
  local did = ARGV[11 + 2 * n]
  local ordered = ep.ord and order_key ~= ""
  local fields = { "m", mid, "ep", ep.id, "st", "queued", "a", 0, "c", now, "e", event_id, "t", event_type }
  if ordered then
    fields[#fields + 1] = "k"
    fields[#fields + 1] = order_key
  end
  if inline then
    fields[#fields + 1] = "x"
    fields[#fields + 1] = "1"
    fields[#fields + 1] = "env"
    fields[#fields + 1] = envelope
  end
  redis.call("HSET", K.delivery(did), unpack(fields))
  if ordered then
    join_line(ep.id, order_key, did, now)
  else
    redis.call("ZADD", K.queue(ep.id), now, did)
  end
  woken = woken + schedule_due(ep, now)
  redis.call("ZADD", K.ix_endpoint(ep.id), 0, did)
  indexed[#indexed + 1] = 0
  indexed[#indexed + 1] = did
end
in_chunks(indexed, function(...)
  redis.call("ZADD", K.ix_all, ...)
  redis.call("ZADD", K.ix_type(event_type), ...)
  redis.call("ZADD", K.ix_event(event_id), ...)
end)
redis.call("PEXPIRE", K.ix_event(event_id), ARGV[11])
redis.call("SADD", K.ix_types, event_type)

if dedup_key ~= "" then
  redis.call("SET", K.dedup(dedup_key), dedup_record, "PX", dedup_ttl)
end
if woken > 0 then redis.call("PUBLISH", K.wake, now) end
return { "ok" }
