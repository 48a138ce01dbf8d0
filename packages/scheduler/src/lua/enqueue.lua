--[[
  enqueue: stores a batch of envelopes and queues one delivery per endpoint of each, due now. Each message is
  atomic on its own (all its deliveries or none); the batch is one script call so that concurrent enqueues
  (a broker hands over hundreds of messages at once) share one round trip and their per-endpoint writes.

  KEYS[1] schedule (routes the call to the store's slot)
  ARGV[1] base key prefix "{prefix}:"
  ARGV[2..] one record per message, in call order:
    now (ms, store clock), message id, encoded envelope ("" = written ahead of this script where it is kept:
    the delivery's hash, or a fan-out's message hash; "@" = written ahead to `{hy}:envelopes` under the delivery's
    id, storage format 2, one delivery only; see enqueueScript in redis-store.ts), ordering key ("" = none),
    dedup key ("" = none),
    dedup TTL (ms), dedup record to store ("<expiresAt>|<result JSON>"), endpoint count N,
    then N pairs: endpoint id, delivery id

  Messages are applied in order, so a dedup key repeated within the batch is a duplicate of the earlier one,
  and deliveries of the same ordering key join their line in call order.

  Per delivery: its HSET (state, envelope, ordering key: see lib/delivery.lua; a fan-out message also one HSET of
  the shared envelope). Per endpoint of the batch: one HMGET of its policy, one ZADD to its queue (all its
  deliveries at once); per call one schedule ZADD for the endpoints that may lease at once (one each for those held
  later). Per message with a dedup key: one SET NX GET (a second command only on rare paths: an expired record, an
  unknown endpoint). Per batch: at most one SPUBLISH, naming the earliest time the batch made work due (not before
  now).
  (No delivery-log index: settled deliveries are listed by the history store.)

  Pushed leases: when a worker waits in the idle hash (its last claim left it room, see claim.lua) and a new
  delivery's endpoint could lease at once with nothing queued before it (enabled, breaker closed, no rate limit,
  not ordered, under its concurrency), the delivery is leased to that worker here and the batch's leases are
  SPUBLISHed on the worker's channel as one JSON array of claim.lua's 8 items per lease (the envelope's text in
  place of the message id): the worker learns of the work with the work, without a wake-up and a claim round trip. At most the worker's registered room in all and
  its endpoint room per endpoint (for an endpoint its claim listed, a slow or stuck one, the room listed: often
  0). When nobody receives the message (the worker went away), the leases are undone in the same call and the
  deliveries queue as any other.

  Returns one reply per message: {"ok"}, {"duplicate", <result JSON>} when the dedup key was seen and has not
  expired on the store clock, or {"unknown", endpoint ids...} when an endpoint has no policy (nothing is written
  for that message then); then, last, the storage format ("1" or "2", keys.ts `{hy}:format`).
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
local earliest_s = {} -- the same as the caller sent it (formatting a time costs a sprintf)
local function queue_later(ep_id, did, now, now_s)
  local list = queued[ep_id]
  if not list then
    list = {}
    queued[ep_id] = list
    queued_order[#queued_order + 1] = ep_id
    earliest[ep_id], earliest_s[ep_id] = now, now_s
  elseif now < earliest[ep_id] then
    earliest[ep_id], earliest_s[ep_id] = now, now_s
  end
  if did then
    list[#list + 1] = now_s
    list[#list + 1] = did
  end
end

-- Pushed leases (see the header): the idle worker found for this call (read once, when a delivery could first
-- be pushed), its room left, and what the call leased to it.
local push = nil -- nil: not looked yet; false: no worker waits
local function push_target(now)
  if push ~= nil then return push end
  push = false
  local idle = redis.call("HGETALL", K.idle)
  local expired = {}
  for j = 1, #idle, 2 do
    local expires, room, lease_ms, ep_room, listed =
      string.match(idle[j + 1], "^([^|]*)|([^|]*)|([^|]*)|([^|]*)(|?r?)$")
    if expires and expires + 0 > now then
      push = { worker = idle[j], expires = expires, room = room + 0, lease_ms = lease_ms + 0, ep_room = ep_room + 0,
        listed = listed ~= "" and {} or nil, items = {}, leases = {}, undo = {}, per_endpoint = {}, dirty = {} }
      break
    end
    expired[#expired + 1] = idle[j]
  end
  if #expired > 0 then redis.call("HDEL", K.idle, unpack(expired)) end
  return push
end

-- The worker's room for an endpoint: what its last claim listed for it (a slow or stuck endpoint, one over its
-- share), else its room for any endpoint. Read once per endpoint and call.
local function endpoint_room(target, ep_id)
  local listed = target.listed
  if not listed then return target.ep_room end
  local room = listed[ep_id]
  if room == nil then
    room = redis.call("HGET", K.idle_rooms(target.worker), ep_id)
    room = room and room + 0 or false
    listed[ep_id] = room
  end
  return room or target.ep_room
end

-- Leases the new delivery `did` of `ep` to the idle worker when it may (see the header): returns its packed leased
-- state, or nil (it queues). Once one of an endpoint's deliveries queues, the endpoint's later ones in the call
-- queue too, behind it.
local function push_lease(ep, did, mid, envelope, now, now_s, envelope_key)
  if ep.push_ok == false then return nil end
  local target = push_target(now) -- first: with no worker waiting (a busy deployment) nothing more is read
  if not target then return nil end
  if ep.push_ok == nil then
    local at = eligible_at(ep)
    ep.push_ok = at ~= nil and at <= now and ep.br == "closed" and ep.rps == 0 and not ep.ord
      and redis.call("EXISTS", K.queue(ep.id)) == 0
    if not ep.push_ok then return nil end
  end
  local taken = target.per_endpoint[ep.id] or 0
  if target.room <= 0 or ep.inf >= ep.conc or taken >= endpoint_room(target, ep.id) then
    ep.push_ok = false
    return nil
  end
  target.room = target.room - 1
  target.per_endpoint[ep.id] = taken + 1
  target.dirty[ep.id] = ep
  ep.inf = ep.inf + 1
  local token = "p." .. did -- a delivery is pushed once, at its enqueue: unique like a claim's tokens
  local lease_until_s = num(now + target.lease_ms)
  local items, leases, undo = target.items, target.leases, target.undo
  leases[#leases + 1] = lease_until_s
  leases[#leases + 1] = did
  local n_items = #items
  items[n_items + 1], items[n_items + 2], items[n_items + 3], items[n_items + 4] = did, ep.id, "1", now_s
  -- Written ahead (a large batch: pushes are rare then): read back, as a push carries its envelope.
  if envelope == ENVELOPE_EXTERNAL then
    envelope = external_envelope(did)
  elseif envelope == "" then
    envelope = redis.call("HGET", envelope_key, "env") or ""
  end
  items[n_items + 5], items[n_items + 6], items[n_items + 7], items[n_items + 8] = envelope, "0", token, ""
  undo[#undo + 1] = { ep, did, mid, now, now_s }
  return leased_state("1", "", "", "", lease_until_s, token, now_s, mid, ep.id, target.worker)
end

-- Sends the call's pushed leases to their worker; when nobody received them they are undone and queue instead.
local function finish_push()
  if not push or #push.items == 0 then return end
  if redis.call("SPUBLISH", K.push(push.worker), cjson.encode(push.items)) > 0 then
    in_chunks(push.leases, function(...) redis.call("ZADD", K.leases, ...) end)
    for _, ep in pairs(push.dirty) do save_endpoint(ep) end
    if push.room > 0 then
      redis.call("HSET", K.idle, push.worker, push.expires .. "|" .. num(push.room) .. "|" .. num(push.lease_ms) .. "|"
        .. num(push.ep_room) .. (push.listed and "|r" or ""))
    else
      redis.call("HDEL", K.idle, push.worker)
    end
    return
  end
  redis.call("HDEL", K.idle, push.worker)
  for _, u in ipairs(push.undo) do
    local ep, did, mid, now, now_s = u[1], u[2], u[3], u[4], u[5]
    ep.inf = ep.inf - 1
    redis.call("HSET", K.delivery(did), "s", queued_delivery(now_s, mid, ep.id))
    queue_later(ep.id, did, now, now_s)
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

  -- One delivery (the common case): the envelope lives in the delivery hash (field env) and shares its
  -- lifetime. Fan-out: one message hash, reference-counted by the deliveries not yet settled.
  -- n = 0: a sharded store's dedup decision on a shard none of the message's endpoints live on.
  local inline = n == 1
  -- The envelope was written ahead (ids new to Redis), where it is kept: its delivery's or message's hash (""), or
  -- `{hy}:envelopes` (external: a message of one delivery, format 2). This message must delete it unless it is stored.
  local external = envelope == ENVELOPE_EXTERNAL
  local ahead = (envelope == "" or external) and n > 0
  local envelope_key = ahead and not external and (inline and K.delivery(ARGV[first_pair + 1]) or K.message(mid))

  if duplicate or unknown then
    if claimed and unknown then redis.call("DEL", K.dedup(dedup_key)) end -- rare: endpoints Redis lost (a flush)
    if external then
      redis.call("HDEL", K.envelopes, ARGV[first_pair + 1])
    elseif ahead then
      redis.call("DEL", envelope_key)
    end
    replies[#replies + 1] = unknown or { "duplicate", duplicate }
  else
    if n > 1 and ahead then
      redis.call("HSET", envelope_key, "refs", n)
    elseif n > 1 then
      redis.call("HSET", K.message(mid), "env", envelope, "refs", n)
    end
    -- The delivery's HSET below writes its env field, or marks it external (x).
    local env_field, env_value = nil, nil
    if inline and not ahead then
      env_field, env_value = "env", envelope
    elseif external then
      env_field, env_value = "x", "1"
    end
    for p = first_pair, i - 1, 2 do
      local ep, did = endpoints[ARGV[p]], ARGV[p + 1]
      local ordered = ep.ord and order_key ~= ""
      -- push is false once this call found no worker waiting: the usual case when busy, so one test here
      local pushed = push ~= false and not ordered and push_lease(ep, did, mid, envelope, now, now_s, envelope_key)
      -- The time as the caller sent it: a number passed to redis.call is formatted again on every call.
      local state = pushed or queued_delivery(now_s, mid, ep.id)
      local dk = K.delivery(did)
      if ordered and env_field then
        redis.call("HSET", dk, "s", state, env_field, env_value, "k", order_key)
      elseif env_field then
        redis.call("HSET", dk, "s", state, env_field, env_value)
      elseif ordered then
        redis.call("HSET", dk, "s", state, "k", order_key)
      else
        redis.call("HSET", dk, "s", state)
      end
      if ordered then
        join_line(ep.id, order_key, did, now)
        queue_later(ep.id, nil, now, now_s)
      elseif not pushed then
        if push then ep.push_ok = false end -- its later deliveries in this call queue behind this one
        queue_later(ep.id, did, now, now_s)
      end
    end
    if stale then redis.call("SET", K.dedup(dedup_key), dedup_record, "PX", dedup_ttl) end
    replies[#replies + 1] = OK
  end
end

finish_push()

-- The schedule entries of endpoints that may lease at their new work's time go in one ZADD LT (per 250 endpoints):
-- their wake-up names that time whatever the ZADD changes. Those held later (a rate limit, an open breaker, a 429's
-- hold) are set one by one (schedule_due), as only a changed entry is worth a wake-up then. A ZADD per endpoint was
-- one write command per enqueued event when a call's messages go to different endpoints, as they mostly do.
local due_now = {}
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
  local ep, due = endpoints[ep_id], earliest[ep_id]
  local at = eligible_at(ep)
  if at and at <= due then
    due_now[#due_now + 1] = earliest_s[ep_id]
    due_now[#due_now + 1] = ep_id
    if not woke_at or due < woke_at then woke_at = due end
  elseif at then
    local wake
    wake, at = schedule_due(ep, due)
    if wake > 0 and (not woke_at or at < woke_at) then woke_at = at end
  end
end
if #due_now > 0 then in_chunks(due_now, function(...) redis.call("ZADD", K.schedule, "LT", ...) end) end
if woke_at then redis.call("SPUBLISH", K.wake, num(woke_at)) end
-- Last, the storage format: the caller writes envelopes to `{hy}:envelopes` once it reads "2" here.
replies[#replies + 1] = redis.call("GET", K.format) or "1"
return replies
