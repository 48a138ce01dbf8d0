--[[
  complete: settles a batch of leased deliveries of one worker. A result is applied only when its delivery is
  leased by this worker under the result's fencing token (any lease of the worker when the token is ""). Any
  other result is stale (the lease expired and was re-leased, or the delivery settled or is unknown): not applied,
  reported, and its attempt record, marked "stale", added to the attempt log of the delivery if it is still live.
  Kinds: throttled (429/503: queued again at dueAt, the endpoint held until then, the attempt logged and counted
  in "t" so it does not spend the retry budget; not a breaker failure), delivered and dead (the delivery leaves Redis: its record, with its attempts and envelope, goes to the
  outbox for the history store; a delivered one is shed instead when the outbox is full), retry (queued again at
  dueAt), gone (410: endpoint disabled, the delivery parked, queued due now), release (queued again at dueAt,
  attempt not counted). Updates each touched endpoint's concurrency, breaker window, failingSince and schedule
  once per call.

  KEYS[1] schedule
  KEYS[2] leases
  ARGV[1] base key prefix "{prefix}:"
  ARGV[2] now (ms, store clock)
  ARGV[3] worker id
  ARGV[4] most records the outbox holds before delivered ones are shed
  ARGV[5] attempts kept per delivery
  ARGV[6..] groups of 6: delivery id, kind, due at ("" unless retry/release), attempt record JSON (""), reason (""),
            fencing token ("")

  Returns { number of results applied, { delivery ids of stale results }, then groups of 7 describing what an
  operator should hear about: kind ("disabled" | "opened" | "closed" | "dead"), endpoint id, then for disabled:
  reason; opened: open until; dead: delivery id, message id, reason, attempts, event type ("" when unknown);
  unused items are "" }.
]]

local now = tonumber(ARGV[2])
local now_s = ARGV[2]
local worker = ARGV[3]
local outbox_max = tonumber(ARGV[4])
local max_log = tonumber(ARGV[5])

local endpoints, settled_leases, stale = {}, {}, {}
-- Keys of the deliveries (and attempt lists) that leave Redis, deleted by one DEL per chunk after the loop: a
-- redis.call costs the Lua-to-command round trip and its own propagation, one DEL per settled delivery was one
-- call per event. `leaving` answers for them meanwhile, as their missing hash would (a result repeated in the batch
-- is stale).
local leaving_keys, leaving = {}, {}
local applied = 0
local reply = { 0, {} } -- reply[1] becomes the number applied, reply[2] the stale ids; the operator events follow

local function event(kind, ep_id, a, b, c, d, e)
  local n = #reply
  reply[n + 1], reply[n + 2], reply[n + 3], reply[n + 4] = kind, ep_id, a or "", b or ""
  reply[n + 5], reply[n + 6], reply[n + 7] = c or "", d or "", e or ""
end

-- The event type of a stored envelope, for a dead letter's operator event ("" when lost or unreadable).
local function event_type(env)
  if env == "" then return "" end
  local ok, decoded = pcall(cjson.decode, env)
  if ok and type(decoded) == "table" and type(decoded.type) == "string" then return decoded.type end
  return ""
end

-- The attempt log of a live delivery: a list (newest first, capped), started by its first failed attempt; its
-- state's lg = "1" marks a delivery that has one (the caller writes the state). A delivery delivered at the first
-- try never has one: its attempt goes straight into its outbox record.
local function log_attempt(did, d, attempt)
  if attempt == "" then return end
  local lk = K.attempts(did)
  if redis.call("LPUSH", lk, attempt) > max_log then redis.call("LTRIM", lk, 0, max_log - 1) end
  d.lg = "1"
end

-- Delivered or dead: the record goes to the outbox (see outbox_add), the delivery and its attempt list leave Redis.
-- An envelope kept in `{hy}:envelopes` (external) stays there, out of Lua: the record names it (nil env).
-- Returns the envelope's text for a dead letter's operator event.
local function settle(did, dk, d, inline_env, external, kind, attempt, reason, has_log)
  local mid = d.m
  local env = nil -- external: nil, the record names it
  if inline_env then
    env = inline_env
  elseif not external then
    env = redis.call("HGET", K.message(mid), "env") or ""
  end
  local log_field, log = attempt_log_field(did, attempt, has_log)
  outbox_add(kind, d.a ~= "" and d.a or "0", d.c, now_s, did, mid, d.ep, env, log_field, log, reason, outbox_max)
  leaving_keys[#leaving_keys + 1] = dk
  if has_log then leaving_keys[#leaving_keys + 1] = K.attempts(did) end
  leaving[did] = true
  if not (inline_env or external) then release_message(mid) end
  if kind == "dead" and external then return external_envelope(did) end
  return env
end

for i = 6, #ARGV, 6 do
  local did, kind, due_at, attempt, reason, token = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], ARGV[i + 4],
    ARGV[i + 5]
  local dk = K.delivery(did)
  -- inline_env: the envelope lives in the delivery's hash (a message with one delivery); key: its ordering key;
  -- external: its envelope is in `{hy}:envelopes`.
  local d, inline_env, key, external
  if not leaving[did] then d, inline_env, key, external = read_delivery(dk, "env", "k", "x") end
  if not (d and d.st == "leased" and d.w == worker and (token == "" or d.ft == token)) then
    stale[#stale + 1] = did
    -- The attempt happened: its record stays with the live delivery, marked, without changing anything else.
    if d and attempt ~= "" then
      local had_log = d.lg == "1"
      log_attempt(did, d, '{"stale":true,' .. string.sub(attempt, 2))
      if not had_log then write_delivery(dk, d) end
    end
  else
    local ep_id, mid, attempts, probe = d.ep, d.m, d.a, d.p == "1"
    local has_log = d.lg == "1"
    local ep = endpoints[ep_id]
    if ep == nil then
      ep = load_endpoint(ep_id) or false
      endpoints[ep_id] = ep
    end
    applied = applied + 1
    settled_leases[#settled_leases + 1] = did
    if ep then ep.inf = math.max(0, ep.inf - 1) end

    if kind == "delivered" or kind == "dead" then
      if attempt == "" and kind == "dead" then
        -- Dead without an attempt record: the lease made none (the store found its envelope gone), not counted.
        attempts = num(math.max(0, (tonumber(attempts) or 1) - 1))
        d.a = attempts
      end
      local env = settle(did, dk, d, inline_env, external, kind, attempt, reason, has_log)
      if kind == "dead" then event("dead", ep_id, did, mid, reason, tonumber(attempts) or 0, event_type(env)) end
      if key then
        advance_line(ep_id, key, did, now)
        if ep then ep.requeued = true end
      end
      if ep and (kind == "delivered" or attempt ~= "") then record_result(ep, kind == "delivered", probe, now) end
    elseif kind == "throttled" then
      local due = tonumber(due_at)
      d.st, d.w, d.p, d.ft, d.t = "queued", "", "", "", (tonumber(d.t) or 0) + 1
      log_attempt(did, d, attempt)
      write_delivery(dk, d)
      redis.call("ZADD", K.queue(ep_id), due, did)
      if ep then
        ep.requeued = true
        if probe then ep.probe = false end
        if not ep.pu or due > ep.pu then ep.pu = due end
      end
    elseif kind == "retry" or kind == "gone" then
      d.st, d.w, d.p, d.ft = "queued", "", "", ""
      log_attempt(did, d, attempt)
      write_delivery(dk, d)
      redis.call("ZADD", K.queue(ep_id), kind == "retry" and tonumber(due_at) or now, did)
      if ep then
        ep.requeued = true
        record_result(ep, false, probe, now)
        if kind == "gone" then
          ep.en = false
          ep.why = "410 Gone"
        end
      end
    else -- release: given back without an attempt
      d.st, d.w, d.p, d.ft = "queued", "", "", ""
      d.a = math.max(0, (tonumber(attempts) or 1) - 1)
      write_delivery(dk, d)
      redis.call("ZADD", K.queue(ep_id), tonumber(due_at), did)
      if ep then
        ep.requeued = true
        if probe then ep.probe = false end
      end
    end
  end
end

if #leaving_keys > 0 then in_chunks(leaving_keys, function(...) redis.call("DEL", ...) end) end
if #settled_leases > 0 then
  in_chunks(settled_leases, function(...) redis.call("ZREM", K.leases, ...) end)
end
outbox_finish()

-- An endpoint's schedule entry only depends on its queue head and eligibility; when this call queued nothing
-- for it and changed neither its cap state, breaker, probe nor enabled flag, the entry is still right.
-- An endpoint whose breaker is not closed waits for its in-flight stragglers before the probe (eligible_at).
-- `before`: its state as loaded, the values parse_state keeps for ep.stored (a lookup: load_endpoint put them
-- there), rather than a copy of five of them per endpoint.
local function schedule_changed(ep, before)
  local br = before[4]
  return ep.requeued or before[2] >= ep.conc or br ~= ep.br or before[6] ~= ep.probe or before[1] ~= ep.en
    or (br ~= "closed" and before[2] ~= ep.inf)
end

local schedule = new_schedule_batch()
for _, ep in pairs(endpoints) do
  if ep then
    local before = parse_state(ep.stored) -- en, inf, tat, br, ou, probe, ... (save_endpoint replaces ep.stored)
    if before[1] and not ep.en then event("disabled", ep.id, ep.why) end
    if before[4] == "closed" and ep.br == "open" then event("opened", ep.id, ep.ou) end
    if before[4] ~= "closed" and ep.br == "closed" then event("closed", ep.id) end
    save_endpoint(ep)
    if schedule_changed(ep, before) then
      batch_reschedule(schedule, ep, now, eligible_at(ep) and queue_head_due(ep.id), now_s)
    end
  end
end
local woken = apply_schedule_batch(schedule)
-- An endpoint that was waiting for a lease to settle (concurrency cap, probe, order) has work again, from the
-- time named (later than now for a 429 held until its Retry-After: listeners wait for it, no claim now).
if woken > 0 then redis.call("SPUBLISH", K.wake, num(math.max(now, batch_earliest(schedule)))) end
reply[1] = applied
reply[2] = stale
return reply
