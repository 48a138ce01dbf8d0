--[[
  enqueue: stores a batch of envelopes and queues one delivery per endpoint of each, due now. Each message is
  atomic on its own (all its deliveries or none); the batch is one script call so that concurrent enqueues
  (a broker hands over hundreds of messages at once) share one round trip and their per-endpoint writes.

  KEYS[1] schedule (routes the call to the store's slot)
  ARGV[1] base key prefix "{prefix}:"
  ARGV[2..] one record per message, in call order:
    now (ms, store clock), message id, encoded envelope, ordering key ("" = none), dedup key ("" = none),
    dedup TTL (ms), dedup record to store ("<expiresAt>|<result JSON>"), endpoint count N,
    then N pairs: endpoint id, delivery id

  Messages are applied in order, so a dedup key repeated within the batch is a duplicate of the earlier one,
  and deliveries of the same ordering key join their line in call order.

  Per delivery: its HSET (state, envelope, ordering key: see lib/delivery.lua; a fan-out message also one HSET of
  the shared envelope). Per endpoint of the batch: one
  HMGET of its policy, one ZADD to its queue (all its deliveries at once), one schedule ZADD. Per message with a
  dedup key: one SET NX GET (a second command only on rare paths: an expired record, an unknown endpoint). Per
  batch: at most one SPUBLISH, naming the earliest time the batch made work due (not before now).
  (No delivery-log index: settled deliveries are listed by the history store.)

  Returns one reply per message: {"ok"}, {"duplicate", <result JSON>} when the dedup key was seen and has not
  expired on the store clock, or {"unknown", endpoint ids...} when an endpoint has no policy (nothing is written
  for that message then).
]]

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
local function queue_later(ep_id, did, now, now_s)
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
    list[#list + 1] = now_s
    list[#list + 1] = did
  end
end

local replies = {}
local OK = { "ok" } -- one table for every message's {"ok"} reply (Redis reads it once per place it appears)
local woke_at = nil
local i = 2
while i <= #ARGV do
  local now_s, mid, envelope, order_key = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]
  local now = now_s + 0 -- one strtod (tonumber runs two)
  local dedup_key, dedup_ttl, dedup_record = ARGV[i + 4], ARGV[i + 5], ARGV[i + 6]
  local n = ARGV[i + 7] + 0
  local first_pair = i + 8
  i = first_pair + 2 * n

  -- Dedup in one command: SET NX GET stores this message's record unless one is there, and returns that one.
  -- A record past its expiresAt on the store clock (Redis has not expired it yet: its PX runs on the server's
  -- clock) is not a duplicate: `stale`, overwritten once the message is written. `claimed`: this call wrote the
  -- record, to take back if the message writes nothing (an unknown endpoint), so its retry is no duplicate.
  local duplicate, claimed, stale = nil, false, false
  if dedup_key ~= "" then
    local seen = redis.call("SET", K.dedup(dedup_key), dedup_record, "PX", dedup_ttl, "NX", "GET")
    if not seen then
      claimed = true
    else
      local sep = string.find(seen, "|", 1, true)
      if sep and tonumber(string.sub(seen, 1, sep - 1)) > now then
        duplicate = string.sub(seen, sep + 1)
      else
        stale = true
      end
    end
  end

  local unknown = nil -- a table only when needed: one per message adds up
  if not duplicate then
    for p = first_pair, i - 1, 2 do
      if not endpoint(ARGV[p]) then
        unknown = unknown or { "unknown" }
        unknown[#unknown + 1] = ARGV[p]
      end
    end
  end

  if duplicate then
    replies[#replies + 1] = { "duplicate", duplicate }
  elseif unknown then
    if claimed then redis.call("DEL", K.dedup(dedup_key)) end -- rare: endpoints Redis lost (a flush)
    replies[#replies + 1] = unknown
  else
    -- One delivery (the common case): the envelope lives in the delivery hash (field env) and shares its
    -- lifetime. Fan-out: one message hash, reference-counted by the deliveries not yet settled.
    local inline = n == 1
    -- n = 0: a sharded store's dedup decision on a shard none of the message's endpoints live on.
    if n > 1 then redis.call("HSET", K.message(mid), "env", envelope, "refs", n) end
    for p = first_pair, i - 1, 2 do
      local ep, did = endpoints[ARGV[p]], ARGV[p + 1]
      local ordered = ep.ord and order_key ~= ""
      -- The time as the caller sent it: a number passed to redis.call is formatted again on every call.
      local state = queued_delivery(now_s, mid, ep.id)
      local dk = K.delivery(did)
      if ordered and inline then
        redis.call("HSET", dk, "s", state, "env", envelope, "k", order_key)
      elseif inline then
        redis.call("HSET", dk, "s", state, "env", envelope)
      elseif ordered then
        redis.call("HSET", dk, "s", state, "k", order_key)
      else
        redis.call("HSET", dk, "s", state)
      end
      if ordered then
        join_line(ep.id, order_key, did, now)
        queue_later(ep.id, nil, now, now_s)
      else
        queue_later(ep.id, did, now, now_s)
      end
    end
    if stale then redis.call("SET", K.dedup(dedup_key), dedup_record, "PX", dedup_ttl) end
    replies[#replies + 1] = OK
  end
end

for _, ep_id in ipairs(queued_order) do
  local scored = queued[ep_id]
  -- Most endpoints get a few deliveries per call: one ZADD without in_chunks' closure (one per endpoint).
  if #scored > 0 and #scored <= 500 then
    redis.call("ZADD", K.queue(ep_id), unpack(scored))
  elseif #scored > 0 then
    in_chunks(scored, function(...) redis.call("ZADD", K.queue(ep_id), ...) end)
  end
  -- The wake-up names when the work is due: a rate limit, an open breaker or a 429's hold puts the endpoint's
  -- entry later than now, and workers woken for `now` would claim at once for nothing.
  local wake, at = schedule_due(endpoints[ep_id], earliest[ep_id])
  if wake > 0 and (not woke_at or at < woke_at) then woke_at = at end
end
if woke_at then redis.call("SPUBLISH", K.wake, num(woke_at)) end
return replies
