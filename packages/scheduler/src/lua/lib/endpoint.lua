--[[
  Shared helpers, concatenated (after the key functions from keys.ts) in front of every script at load time.
  An endpoint is read once per script into a Lua table (one HMGET), changed in memory, and written back once
  (one HSET of its state fields) by save_endpoint. The ordering-line counter `wait` is only changed with HINCRBY.
]]

local EP_FIELDS = {
  "conc", "rps", "burst", "ord", "bw", "bmin", "brate", "bcool", "bdis", "dmsg", "cfg",
  "en", "why", "inf", "tat", "br", "ou", "probe", "ws", "wok", "wfail", "fs", "wait",
}

-- Reads an endpoint's policy and state; nil when its policy is missing (never synced, or lost in a flush).
local function load_endpoint(id)
  local v = redis.call("HMGET", K.endpoint(id), unpack(EP_FIELDS))
  if not v[1] then return nil end
  return {
    id = id,
    conc = tonumber(v[1]), rps = tonumber(v[2]) or 0, burst = tonumber(v[3]) or 1, ord = v[4] == "1",
    bw = tonumber(v[5]), bmin = tonumber(v[6]), brate = tonumber(v[7]), bcool = tonumber(v[8]),
    bdis = tonumber(v[9]), dmsg = v[10], cfg = v[11] == "1",
    en = v[12] ~= "0", why = v[13] or "", inf = tonumber(v[14]) or 0, tat = tonumber(v[15]),
    br = v[16] or "closed", ou = tonumber(v[17]), probe = v[18] == "1",
    ws = tonumber(v[19]) or 0, wok = tonumber(v[20]) or 0, wfail = tonumber(v[21]) or 0, fs = tonumber(v[22]),
    wait = tonumber(v[23]) or 0,
  }
end

local function save_endpoint(ep)
  redis.call("HSET", K.endpoint(ep.id),
    "en", ep.en and "1" or "0", "why", ep.why, "inf", ep.inf, "tat", ep.tat or "", "br", ep.br,
    "ou", ep.ou or "", "probe", ep.probe and "1" or "0", "ws", ep.ws, "wok", ep.wok, "wfail", ep.wfail,
    "fs", ep.fs or "")
end

local function emission_interval(ep) return 1000 / ep.rps end
local function tolerance(ep) return (1000 / ep.rps) * (ep.burst - 1) end

-- Earliest time the endpoint may lease again by time alone, or nil when it waits for an event (disabled,
-- concurrency full, half-open probe in flight). An open breaker past its cooldown counts as half-open.
local function eligible_at(ep)
  if not (ep.cfg and ep.en) then return nil end
  if ep.inf >= ep.conc then return nil end
  local at = 0
  if ep.br == "open" then
    at = ep.ou or 0
  elseif ep.br == "half" and ep.probe then
    return nil
  end
  if ep.rps > 0 and ep.tat then
    local rate_at = ep.tat - tolerance(ep)
    if rate_at > at then at = rate_at end
  end
  return at
end

-- Where the endpoint belongs in the schedule: max(now, its queue head's due time, eligible_at), or nil when it
-- must leave it (not eligible by time alone, or `head_due` false: the queue is empty).
local function schedule_at(ep, now, head_due)
  local at = eligible_at(ep)
  if not (at and head_due) then return nil end
  if head_due > at then at = head_due end
  if now > at then at = now end
  return at
end

-- The due time of the endpoint's queue head, or false when the queue is empty.
local function queue_head_due(ep_id)
  local head = redis.call("ZRANGE", K.queue(ep_id), 0, 0, "WITHSCORES")
  return head[2] and tonumber(head[2]) or false
end

-- Puts the endpoint in the schedule (schedule_at), or takes it out. Returns 1 when the endpoint was not
-- scheduled before (so waiting workers may want a wake-up), else 0.
local function reschedule(ep, now)
  local at = eligible_at(ep) and schedule_at(ep, now, queue_head_due(ep.id))
  if at then return redis.call("ZADD", K.schedule, at, ep.id) end
  redis.call("ZREM", K.schedule, ep.id)
  return 0
end

-- Scripts that reschedule many endpoints collect the changes and write the schedule with one ZADD and one ZREM
-- (per 250 endpoints) instead of one command per endpoint.
local function new_schedule_batch()
  return { add = {}, rem = {} }
end

local function batch_reschedule(batch, ep, now, head_due)
  local at = schedule_at(ep, now, head_due)
  if at then
    batch.add[#batch.add + 1] = at
    batch.add[#batch.add + 1] = ep.id
  else
    batch.rem[#batch.rem + 1] = ep.id
  end
end

-- After new work due `now` was queued: schedule the endpoint no later than its eligible time. Returns 1 when
-- a wake-up is worth sending: the endpoint may lease now, or its schedule entry was added or moved earlier.
local function schedule_due(ep, now)
  local at = eligible_at(ep)
  if not at then return 0 end
  if now > at then at = now end
  local changed = redis.call("ZADD", K.schedule, "LT", "CH", at, ep.id)
  if at <= now then return 1 end
  return changed
end

-- Counts one attempt's result in the breaker window and failingSince, opens/closes the breaker and disables
-- an endpoint failing for longer than breaker.disableAfterMs.
local function record_result(ep, success, is_probe, now)
  if now - ep.ws >= ep.bw then
    ep.ws = now
    ep.wok = 0
    ep.wfail = 0
  end
  if success then
    ep.wok = ep.wok + 1
    ep.fs = nil
  else
    ep.wfail = ep.wfail + 1
    if not ep.fs then ep.fs = now end
  end
  if is_probe and ep.br == "half" then
    ep.probe = false
    if success then
      ep.br = "closed"
      ep.ou = nil
      ep.ws = now
      ep.wok = 0
      ep.wfail = 0
    else
      ep.br = "open"
      ep.ou = now + ep.bcool
    end
  elseif ep.br == "closed" then
    local total = ep.wok + ep.wfail
    if total >= ep.bmin and ep.wfail / total >= ep.brate then
      ep.br = "open"
      ep.ou = now + ep.bcool
    end
  end
  if not success and ep.bdis > 0 and ep.fs and now - ep.fs >= ep.bdis and ep.en then
    ep.en = false
    ep.why = ep.dmsg
  end
end

-- Per-key order: the delivery becomes the head of its key's line (queued due `now`) or waits behind it.
local function join_line(ep_id, key, did, now)
  if redis.call("HSETNX", K.heads(ep_id), key, did) == 1 then
    redis.call("ZADD", K.queue(ep_id), now, did)
    return true
  end
  redis.call("RPUSH", K.line(ep_id, key), did)
  redis.call("HINCRBY", K.endpoint(ep_id), "wait", 1)
  return false
end

-- Per-key order: the head `did` settled for good (delivered or dead); the next one of its key is due now.
local function advance_line(ep_id, key, did, now)
  local heads = K.heads(ep_id)
  if redis.call("HGET", heads, key) ~= did then return end
  local next_id = redis.call("LPOP", K.line(ep_id, key))
  if next_id then
    redis.call("HSET", heads, key, next_id)
    redis.call("ZADD", K.queue(ep_id), now, next_id)
    redis.call("HINCRBY", K.endpoint(ep_id), "wait", -1)
  else
    redis.call("HDEL", heads, key)
  end
end

-- A delivery of the message settled for good: keep the envelope at least until `keep_until` (store clock),
-- and once no delivery needs it anymore, let it expire then.
local function release_message(mid, keep_until, now)
  local mk = K.message(mid)
  local refs = redis.call("HINCRBY", mk, "refs", -1)
  local keep = tonumber(redis.call("HGET", mk, "keep") or "0") or 0
  if keep_until > keep then
    keep = keep_until
    if refs > 0 then redis.call("HSET", mk, "keep", keep) end
  end
  if refs <= 0 then redis.call("PEXPIRE", mk, math.max(1, math.ceil(keep - now))) end
end

-- A settled delivery (delivered or dead) is queued again, due now, attempts reset. Returns its endpoint id,
-- or nil when it is unknown, not settled, or its envelope is gone.
local function requeue_settled(did, now)
  local dk = K.delivery(did)
  local v = redis.call("HMGET", dk, "ep", "st", "m", "k", "x")
  local ep_id, status, mid, key = v[1], v[2], v[3], v[4]
  if status ~= "delivered" and status ~= "dead" then return nil end
  local mk = K.message(mid)
  if v[5] == "1" then
    -- envelope inline: it is kept by the PERSIST of the delivery below
  elseif redis.call("HINCRBY", mk, "refs", 1) == 1 then
    if redis.call("HEXISTS", mk, "env") == 0 then
      redis.call("DEL", mk)
      return nil
    end
    redis.call("PERSIST", mk)
  end
  -- An inline attempt record ("la", see complete.lua) moves to the list, so the history stays in order.
  local inline_attempt = redis.call("HGET", dk, "la")
  if inline_attempt then
    redis.call("LPUSH", K.attempts(did), inline_attempt)
    redis.call("HDEL", dk, "la")
    redis.call("HSET", dk, "lg", "1")
  end
  redis.call("HSET", dk, "st", "queued", "a", 0, "why", "", "w", "", "p", "")
  redis.call("PERSIST", dk)
  redis.call("PERSIST", K.attempts(did))
  if status == "dead" then redis.call("ZREM", K.dead(ep_id), did) end
  if key and key ~= "" then
    join_line(ep_id, key, did, now)
  else
    redis.call("ZADD", K.queue(ep_id), now, did)
  end
  return ep_id
end

-- Calls fn with the items of list in chunks, so unpack() never exceeds Lua's stack.
local function in_chunks(list, fn)
  local size = 500
  for i = 1, #list, size do
    fn(unpack(list, i, math.min(i + size - 1, #list)))
  end
end

-- Writes a schedule batch; returns how many endpoints were added that were not scheduled before.
local function apply_schedule_batch(batch)
  local added = 0
  if #batch.rem > 0 then in_chunks(batch.rem, function(...) redis.call("ZREM", K.schedule, ...) end) end
  if #batch.add > 0 then
    in_chunks(batch.add, function(...) added = added + redis.call("ZADD", K.schedule, ...) end)
  end
  return added
end
