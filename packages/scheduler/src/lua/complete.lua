--[[
  complete: settles a batch of leased deliveries of one worker. A result is applied only when its delivery is
  leased by this worker (otherwise the lease expired and was reclaimed, or the delivery is unknown): ignored.
  Kinds: delivered, retry (queued again at dueAt), dead (dead-letter set), gone (410: endpoint disabled, the
  delivery parked, queued due now), release (queued again at dueAt, attempt not counted). Updates each touched
  endpoint's concurrency, breaker window, failingSince and schedule once per call.

  KEYS[1] schedule
  KEYS[2] leases
  ARGV[1] base key prefix "{prefix}:"
  ARGV[2] now (ms, store clock)
  ARGV[3] worker id
  ARGV[4] retention of delivered deliveries (ms)
  ARGV[5] retention of dead letters (ms)
  ARGV[6] attempts kept per delivery
  ARGV[7..] groups of 5: delivery id, kind, due at ("" unless retry/release), attempt record JSON (""), reason ("")

  Returns the number of results applied.
]]

local now = tonumber(ARGV[2])
local worker = ARGV[3]
local retention = tonumber(ARGV[4])
local dead_retention = tonumber(ARGV[5])
local max_log = tonumber(ARGV[6])

local endpoints, settled_leases, dead_touched = {}, {}, {}
local applied = 0

-- The attempt log: a list per delivery (newest first, capped). A delivery delivered on an attempt that started
-- no list (the common case: first try) keeps that one record inline in its hash ("la") instead, saving the list's
-- LPUSH and PEXPIRE; "lg" = 1 marks a delivery that has a list. listAttempts reads both.
local function log_attempt(did, attempt)
  if attempt == "" then return end
  local lk = K.attempts(did)
  if redis.call("LPUSH", lk, attempt) > max_log then redis.call("LTRIM", lk, 0, max_log - 1) end
  redis.call("HSET", K.delivery(did), "lg", "1")
end

for i = 7, #ARGV, 5 do
  local did, kind, due_at, attempt, reason = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], ARGV[i + 4]
  local dk = K.delivery(did)
  local v = redis.call("HMGET", dk, "ep", "st", "w", "m", "a", "k", "p", "x", "lg")
  local ep_id, status, owner, mid, attempts, key, probe = v[1], v[2], v[3], v[4], v[5], v[6], v[7] == "1"
  local inline = v[8] == "1" -- the envelope lives (and expires) with the delivery
  local has_log = v[9] == "1"
  if status == "leased" and owner == worker then
    local ep = endpoints[ep_id]
    if ep == nil then
      ep = load_endpoint(ep_id) or false
      if ep then
        -- What decides its schedule entry, to skip rescheduling when none of it changes (see the end).
        ep.before = { capped = ep.inf >= ep.conc, br = ep.br, probe = ep.probe, en = ep.en }
      end
      endpoints[ep_id] = ep
    end
    applied = applied + 1
    settled_leases[#settled_leases + 1] = did
    if ep then ep.inf = math.max(0, ep.inf - 1) end

    if kind == "delivered" then
      if has_log or attempt == "" then
        redis.call("HSET", dk, "st", "delivered", "w", "", "p", "")
        log_attempt(did, attempt)
        redis.call("PEXPIRE", K.attempts(did), retention)
      else
        redis.call("HSET", dk, "st", "delivered", "w", "", "p", "", "la", attempt)
      end
      redis.call("PEXPIRE", dk, retention)
      if not inline then release_message(mid, now + retention, now) end
      if key then
        advance_line(ep_id, key, did, now)
        if ep then ep.requeued = true end
      end
      if ep then record_result(ep, true, probe, now) end
    elseif kind == "retry" or kind == "gone" then
      redis.call("HSET", dk, "st", "queued", "w", "", "p", "")
      redis.call("ZADD", K.queue(ep_id), kind == "retry" and tonumber(due_at) or now, did)
      log_attempt(did, attempt)
      if ep then
        ep.requeued = true
        record_result(ep, false, probe, now)
        if kind == "gone" then
          ep.en = false
          ep.why = "410 Gone"
        end
      end
    elseif kind == "dead" then
      redis.call("HSET", dk, "st", "dead", "w", "", "p", "", "why", reason)
      redis.call("PEXPIRE", dk, dead_retention)
      log_attempt(did, attempt)
      redis.call("PEXPIRE", K.attempts(did), dead_retention)
      redis.call("ZADD", K.dead(ep_id), now, did)
      dead_touched[ep_id] = true
      if not inline then release_message(mid, now + dead_retention, now) end
      if key then
        advance_line(ep_id, key, did, now)
        if ep then ep.requeued = true end
      end
      if ep and attempt ~= "" then record_result(ep, false, probe, now) end
    else -- release: given back without an attempt
      redis.call("HSET", dk, "st", "queued", "w", "", "p", "", "a", math.max(0, (tonumber(attempts) or 1) - 1))
      redis.call("ZADD", K.queue(ep_id), tonumber(due_at), did)
      if ep then
        ep.requeued = true
        if probe then ep.probe = false end
      end
    end
  end
end

if #settled_leases > 0 then
  in_chunks(settled_leases, function(...) redis.call("ZREM", K.leases, ...) end)
end
for ep_id in pairs(dead_touched) do
  redis.call("ZREMRANGEBYSCORE", K.dead(ep_id), "-inf", "(" .. (now - dead_retention))
end

-- An endpoint's schedule entry only depends on its queue head and eligibility; when this call queued nothing
-- for it and changed neither its cap state, breaker, probe nor enabled flag, the entry is still right.
local function schedule_changed(ep)
  local b = ep.before
  return ep.requeued or b.capped or b.br ~= ep.br or b.probe ~= ep.probe or b.en ~= ep.en
end

local schedule = new_schedule_batch()
for _, ep in pairs(endpoints) do
  if ep then
    save_endpoint(ep)
    if schedule_changed(ep) then batch_reschedule(schedule, ep, now, eligible_at(ep) and queue_head_due(ep.id)) end
  end
end
local woken = apply_schedule_batch(schedule)
-- An endpoint that was waiting for a lease to settle (concurrency cap, probe, order) has work again.
if woken > 0 then redis.call("PUBLISH", K.wake, now) end
return applied
