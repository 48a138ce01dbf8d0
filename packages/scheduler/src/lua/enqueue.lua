--[[
  enqueue: stores a batch of envelopes and queues one delivery per endpoint of each, due now. Each message is
  atomic on its own (all its deliveries or none); the batch is one script call so that concurrent enqueues
  (a broker hands over hundreds of messages at once) share one round trip and their per-endpoint and
  delivery-log index writes.

  KEYS[1] schedule (routes the call to the store's slot)
  ARGV[1] base key prefix "{prefix}:"
  ARGV[2] how long an event-id index lives (ms): the longest retention
  ARGV[3..] one record per message, in call order:
    now (ms, store clock), message id, encoded envelope, ordering key ("" = none), dedup key ("" = none),
    dedup TTL (ms), dedup record to store ("<expiresAt>|<result JSON>"), event id, event type, endpoint count N,
    then N pairs: endpoint id, delivery id

  Messages are applied in order, so a dedup key repeated within the batch is a duplicate of the earlier one,
  and deliveries of the same ordering key join their line in call order.

  Per message: the delivery HSET, its ix:evt ZADD + PEXPIRE. Per endpoint of the batch: one HMGET of its policy,
  one ZADD to its queue and one to ix:ep:<id> (all its deliveries at once), one schedule ZADD. Per batch: one ZADD
  each to ix:all and ix:type:<type>, one SADD to ix:types, at most one PUBLISH.

  Returns one reply per message: {"ok"}, {"duplicate", <result JSON>} when the dedup key was seen and has not
  expired on the store clock, or {"unknown", endpoint ids...} when an endpoint has no policy (nothing is written
  for that message then).
]]

local index_ttl = ARGV[2]

local endpoints = {} -- id -> loaded endpoint, or false when unknown
local function endpoint(id)
  local ep = endpoints[id]
  if ep == nil then
    ep = load_endpoint(id) or false
    endpoints[id] = ep
  end
  return ep
end

local queued = {}   -- endpoint id -> { now, did, ... } for its queue (unordered deliveries)
local queued_order = {}
local earliest = {} -- endpoint id -> the earliest `now` of its deliveries in the batch
local function queue_later(ep_id, did, now)
  local list = queued[ep_id]
  if not list then
    list = {}
    queued[ep_id] = list
    queued_order[#queued_order + 1] = ep_id
    earliest[ep_id] = now
  elseif now < earliest[ep_id] then
    earliest[ep_id] = now
  end
  if did then
    list[#list + 1] = now
    list[#list + 1] = did
  end
end

local by_type = {}  -- event type -> { 0, did, ... }
local type_order = {}
local all = {}
local indexed = {}  -- endpoint id -> { 0, did, ... } for ix:ep (ordered deliveries too)

local replies = {}
local woke_at = nil
local i = 3
while i <= #ARGV do
  local now, mid, envelope, order_key = tonumber(ARGV[i]), ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]
  local dedup_key, dedup_ttl, dedup_record = ARGV[i + 4], ARGV[i + 5], ARGV[i + 6]
  local event_id, event_type = ARGV[i + 7], ARGV[i + 8]
  local n = tonumber(ARGV[i + 9])
  local first_pair = i + 10
  i = first_pair + 2 * n

  local duplicate = nil
  if dedup_key ~= "" then
    local seen = redis.call("GET", K.dedup(dedup_key))
    if seen then
      local sep = string.find(seen, "|", 1, true)
      if sep and tonumber(string.sub(seen, 1, sep - 1)) > now then duplicate = string.sub(seen, sep + 1) end
    end
  end

  local unknown = {}
  if not duplicate then
    for p = first_pair, i - 1, 2 do
      if not endpoint(ARGV[p]) then unknown[#unknown + 1] = ARGV[p] end
    end
  end

  if duplicate then
    replies[#replies + 1] = { "duplicate", duplicate }
  elseif #unknown > 0 then
    table.insert(unknown, 1, "unknown")
    replies[#replies + 1] = unknown
  else
    -- One delivery (the common case): the envelope lives in the delivery hash ("x" = inline) and shares its
    -- lifetime. Fan-out: one message hash, reference-counted by the deliveries not yet settled.
    local inline = n == 1
    if not inline then redis.call("HSET", K.message(mid), "env", envelope, "refs", n) end
    local event_index = {}
    for p = first_pair, i - 1, 2 do
      local ep, did = endpoints[ARGV[p]], ARGV[p + 1]
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
        queue_later(ep.id, nil, now)
      else
        queue_later(ep.id, did, now)
      end
      local ix = indexed[ep.id]
      if not ix then
        ix = {}
        indexed[ep.id] = ix
      end
      ix[#ix + 1] = 0
      ix[#ix + 1] = did
      event_index[#event_index + 1] = 0
      event_index[#event_index + 1] = did
    end
    in_chunks(event_index, function(...) redis.call("ZADD", K.ix_event(event_id), ...) end)
    redis.call("PEXPIRE", K.ix_event(event_id), index_ttl)
    local typed = by_type[event_type]
    if not typed then
      typed = {}
      by_type[event_type] = typed
      type_order[#type_order + 1] = event_type
    end
    for e = 1, #event_index do
      typed[#typed + 1] = event_index[e]
      all[#all + 1] = event_index[e]
    end
    if dedup_key ~= "" then
      redis.call("SET", K.dedup(dedup_key), dedup_record, "PX", dedup_ttl)
    end
    replies[#replies + 1] = { "ok" }
  end
end

for _, ep_id in ipairs(queued_order) do
  local scored = queued[ep_id]
  if #scored > 0 then in_chunks(scored, function(...) redis.call("ZADD", K.queue(ep_id), ...) end) end
  local at = earliest[ep_id]
  if schedule_due(endpoints[ep_id], at) > 0 and (not woke_at or at < woke_at) then woke_at = at end
  in_chunks(indexed[ep_id], function(...) redis.call("ZADD", K.ix_endpoint(ep_id), ...) end)
end
if #all > 0 then
  in_chunks(all, function(...) redis.call("ZADD", K.ix_all, ...) end)
  for _, event_type in ipairs(type_order) do
    in_chunks(by_type[event_type], function(...) redis.call("ZADD", K.ix_type(event_type), ...) end)
  end
  redis.call("SADD", K.ix_types, unpack(type_order))
end
if woke_at then redis.call("PUBLISH", K.wake, woke_at) end
return replies
