--[[
  claim: returns expired leases to their queues, then leases up to `max` due deliveries fairly across the
  endpoints of the schedule (each due endpoint gets at most floor(max / due endpoints), min 1, not counting
  endpoints the worker has no room for), honouring the
  enabled flags, concurrency caps, breakers (one probe when half-open) and GCRA rate limits. An endpoint that
  still has due work is re-scored to `now`, so the others go first next time.

  KEYS[1] schedule
  KEYS[2] leases
  ARGV[1] base key prefix "{prefix}:"
  ARGV[2] now (ms, store clock)
  ARGV[3] max deliveries to lease
  ARGV[4] lease duration (ms)
  ARGV[5] worker id
  ARGV[6] claim id: unique per claim call; each lease's fencing token is "<claim id>.<n>" (stored in the
          delivery's "ft"; complete and extend-leases check it)
  ARGV[7] the worker's room for endpoints not listed below ("" = no limit)
  ARGV[8] how long the worker waits for pushed leases (ms; "" = it takes none): when the claim leaves it room, it
          is registered in the idle hash until now + this, with that room and the rooms of the endpoints listed
          below (slow, stuck or over its share: {prefix}:idle:<worker>), so an enqueue may lease new deliveries to
          it within them and push them (enqueue.lua); otherwise it is taken out of the hash
  ARGV[9..] pairs: endpoint id, the worker's room for it (its fair share / adaptive limit left; 0 = skip it: it
            stays scheduled for other workers and nextDueAt ignores it)

  Returns { nextDueAt ("" = none), { endpoint ids without policy }, earliest lease expiry ("" = no leases; a
  sharded store visits the shard again then), the earliest schedule entry whatever this worker's room ("" =
  none), then per leased delivery 8 items:
  delivery id, endpoint id, attempt, created at, message id, throttled attempts, fencing token, "1" when the
  envelope is in `{hy}:envelopes` (else "") }.

  The envelopes are not in the reply: the store reads them right after (HMGET of `{hy}:envelopes`, HGET of the
  delivery's "env", or of its message's for a fan-out), outside Lua. Every string that enters Lua is interned, and
  Redis's Lua hashes all of its bytes to do so (Redis #9449, against hash collisions): for a 1 KiB envelope ~12k
  instructions, for 16 KiB ~185k, more than the rest of the lease (bench/README.md, "Eleventh pass").
]]

local now = tonumber(ARGV[2])
local max = tonumber(ARGV[3])
local now_s = ARGV[2]
local lease_until = now + tonumber(ARGV[4])
local lease_until_s = num(lease_until) -- once: a number passed to redis.call is formatted on every call
local worker = ARGV[5]
local claim_id = ARGV[6]
local lease_count = 0
local default_room = tonumber(ARGV[7])
local rooms, skipped = {}, 0
for i = 9, #ARGV, 2 do
  local room = tonumber(ARGV[i + 1])
  rooms[ARGV[i]] = room
  if room <= 0 then skipped = skipped + 1 end
end
local function room_of(id)
  return rooms[id] or default_room or max
end

local cache, dirty, unknown = {}, {}, {}
local function endpoint(id)
  local ep = cache[id]
  if ep == nil then
    ep = load_endpoint(id) or false
    cache[id] = ep
  end
  return ep
end

-- 1. Expired leases of dead workers go back to their queue, due now (the attempt stays counted). The earliest
-- lease is read first: it tells whether any expired (rarely), and, when none did, the reply's earliest lease
-- expiry without reading the leases again (one command less per call: a sharded claim makes many calls).
local first_lease = redis.call("ZRANGE", K.leases, 0, 0, "WITHSCORES")[2]
local expired = {}
if first_lease and tonumber(first_lease) <= now then
  expired = redis.call("ZRANGEBYSCORE", K.leases, "-inf", now, "LIMIT", 0, 200)
end
if #expired > 0 then
  for _, did in ipairs(expired) do
    local dk = K.delivery(did)
    local d = read_delivery(dk)
    if d and d.st == "leased" then
      local was_probe = d.p == "1"
      d.st, d.w, d.p, d.ft = "queued", "", "", ""
      write_delivery(dk, d)
      redis.call("ZADD", K.queue(d.ep), now, did)
      local ep = endpoint(d.ep)
      if ep then
        ep.inf = math.max(0, ep.inf - 1)
        if was_probe then ep.probe = false end
        dirty[d.ep] = ep
      end
    end
  end
  in_chunks(expired, function(...) redis.call("ZREM", K.leases, ...) end)
  for _, ep in pairs(dirty) do reschedule(ep, now) end
end

-- 2. Lease from the due endpoints, oldest schedule entry first.
local out = { "", unknown, "", "" }
local remaining = max
local schedule = new_schedule_batch()
local lease_members = {} -- expiry, delivery id pairs: one ZADD for the whole claim
local window = max * 2 + skipped
local candidates = redis.call("ZRANGEBYSCORE", K.schedule, "-inf", now, "LIMIT", 0, window)
if #candidates > 0 then
  -- The share needs the number of due endpoints: the candidates are all of them unless the window is full.
  local due_count = #candidates
  if due_count >= window then due_count = redis.call("ZCOUNT", K.schedule, "-inf", now) end
  local share = math.max(1, math.floor(max / math.max(1, due_count - skipped)))
  local leased = {} -- one list for every endpoint of the call (its first `n_leased` items), not a table each
  for _, id in ipairs(candidates) do
    if remaining <= 0 then break end
    local room = room_of(id)
    local ep = room > 0 and endpoint(id)
    if room <= 0 then
      -- no room in this worker: left as it is, for other workers
    elseif not ep then
      unknown[#unknown + 1] = id
      schedule.rem[#schedule.rem + 1] = id
    else
      dirty[id] = ep
      if ep.br == "open" and now >= (ep.ou or 0) then
        ep.br = "half"
        ep.probe = false
      end
      local at = eligible_at(ep)
      if at and at <= now then
        local limit = math.min(share, remaining, ep.conc - ep.inf, room_of(id))
        if ep.br == "half" then limit = math.min(limit, 1) end
        -- Up to limit + 1 due ones, without their scores (formatting and parsing them cost more than the rest of
        -- the range): the ones to lease, and one more means the next head is due too, which is all rescheduling
        -- needs to know (schedule_at takes the later of now and the head's due time). Otherwise the head left
        -- after the lease is read below.
        local queue = K.queue(id) -- built once: the range, the ZREM and the head read use it
        local range = redis.call("ZRANGEBYSCORE", queue, "-inf", now_s, "LIMIT", "0", num(limit + 1))
        local n_leased, taken = 0, 0
        local head_due = nil
        for j = 1, #range do
          local did = range[j]
          if n_leased >= limit or (ep.rps > 0 and ep.tat and ep.tat - now > tolerance(ep)) then
            head_due = now
            break
          end
          if ep.rps > 0 then
            ep.tat = math.max(ep.tat or now, now) + emission_interval(ep)
          end
          local dk = K.delivery(did)
          -- The state's fields as values (lease_fields), not read_delivery's table: a lease replaces most of them.
          -- x: its envelope is in `{hy}:envelopes` (the caller reads it there).
          local v = redis.call("HMGET", dk, "s", "x")
          local found, external = v[1], v[2] and "1" or ""
          local a, t, lg, c, m, dep
          if found then
            a, t, lg, c, m, dep = lease_fields(found)
          else
            local old = read_delivery(dk) -- the old format, or nil: the delivery is gone
            found = old
            if old then a, t, lg, c, m, dep = old.a, old.t, old.lg, old.c, old.m, old.ep end
          end
          n_leased = n_leased + 1
          leased[n_leased] = did
          if found then
            local attempt = a ~= "" and tonumber(a) + 1 or 1
            local probe = ep.br == "half"
            lease_count = lease_count + 1
            local token = claim_id .. "." .. num(lease_count)
            -- The packed state: leased by this worker until lease_until under `token`.
            redis.call("HSET", dk, "s", leased_state(num(attempt), t, lg, probe and "1" or "", lease_until_s, token, c,
              m, dep, worker))
            if probe then ep.probe = true end
            lease_members[#lease_members + 1] = lease_until_s
            lease_members[#lease_members + 1] = did
            taken = taken + 1
            out[#out + 1] = did
            out[#out + 1] = id
            out[#out + 1] = attempt
            out[#out + 1] = c ~= "" and c or now
            out[#out + 1] = m
            out[#out + 1] = t ~= "" and t or 0
            out[#out + 1] = token
            out[#out + 1] = external
          else
            -- Its hash is gone (lost data): a poison entry must not block the queue; dead-letter it. (A delivery
            -- whose envelope alone is gone is leased, and the store dead-letters it when it finds no envelope.)
            outbox_add("dead", 0, now, now, did, "", id, "", "log", "[]", "envelope missing", 0)
            redis.call("DEL", K.attempts(did))
            redis.call("HDEL", K.envelopes, did)
          end
        end
        if n_leased > 0 then
          redis.call("ZREM", queue, unpack(leased, 1, n_leased))
        end
        if head_due == nil then head_due = queue_head_due(id, queue) end
        ep.inf = ep.inf + taken
        remaining = remaining - taken
        batch_reschedule(schedule, ep, now, head_due, now_s)
      else
        batch_reschedule(schedule, ep, now, at and queue_head_due(id), now_s)
      end
    end
  end
end

if #lease_members > 0 then in_chunks(lease_members, function(...) redis.call("ZADD", K.leases, ...) end) end
apply_schedule_batch(schedule)
for _, ep in pairs(dirty) do save_endpoint(ep) end
outbox_finish()

-- The earliest entry of an endpoint this worker has room for.
local first = redis.call("ZRANGE", K.schedule, 0, skipped, "WITHSCORES")
for j = 1, #first, 2 do
  if room_of(first[j]) > 0 then
    out[1] = first[j + 1]
    break
  end
end
if first[2] then out[4] = first[2] end
if #expired > 0 then
  first_lease = redis.call("ZRANGE", K.leases, 0, 0, "WITHSCORES")[2]
elseif #lease_members > 0 and (not first_lease or lease_until < tonumber(first_lease)) then
  first_lease = lease_until_s
end
if first_lease then out[3] = first_lease end

-- 3. A worker that takes pushed leases: waiting with room (see ARGV[8]), or not. The rooms of the endpoints it
-- lists go to a hash of their own (rewritten whole: what it listed before may be fine again), marked "|r" in its
-- entry: an enqueue reads the room of an endpoint it would push to there, one HGET per endpoint and call.
if ARGV[8] ~= "" then
  local left = max - lease_count
  if left > 0 then
    local entry = num(now + tonumber(ARGV[8])) .. "|" .. num(left) .. "|" .. ARGV[4] .. "|"
      .. (ARGV[7] ~= "" and ARGV[7] or num(max))
    if #ARGV >= 9 then
      local rooms_key = K.idle_rooms(worker)
      redis.call("DEL", rooms_key)
      for i = 9, #ARGV, 1000 do
        redis.call("HSET", rooms_key, unpack(ARGV, i, math.min(i + 999, #ARGV)))
      end
      redis.call("PEXPIRE", rooms_key, ARGV[8])
      entry = entry .. "|r"
    end
    redis.call("HSET", K.idle, worker, entry)
  else
    redis.call("HDEL", K.idle, worker)
  end
end
return out
