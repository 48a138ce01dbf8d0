--[[
  Shared helpers, concatenated (after the key functions from keys.ts) in front of every script at load time.
  An endpoint is read once per script into a Lua table (one HMGET), changed in memory, and written back once
  (one HSET of its packed state, when it changed) by save_endpoint. The ordering-line counter `wait` is only
  changed with HINCRBY.
]]

-- An endpoint's hash holds three fields: "pol", its policy (written by sync-endpoints), "st", its runtime state,
-- each packed as "|"-separated values (the free text last), and "wait", the ordering-line counter. Three fields
-- instead of twenty-four: the HMGET of a claim or a settle finds them at once and the save writes one short field.
-- pol: conc|rps|burst|ord|bw|bmin|brate|bcool|bdis|cfg|dmsg
-- st:  en|inf|tat|br|ou|probe|ws|wok|wfail|fs|pu|why
-- Spelled out, not built with string.rep: a Function library runs its top level at FUNCTION LOAD, where Redis offers
-- no standard library.
local EP_POLICY_PATTERN = "^([^|]*)|([^|]*)|([^|]*)|([^|]*)|([^|]*)|([^|]*)|([^|]*)|([^|]*)|([^|]*)|([^|]*)|(.*)$"
local EP_STATE_PATTERN = "^([^|]*)|([^|]*)|([^|]*)|([^|]*)|([^|]*)|([^|]*)|([^|]*)|([^|]*)|([^|]*)|([^|]*)|([^|]*)|(.*)$"
local EP_NEW_STATE = "1|0||closed||0|0|0|0|||"

-- A number as a string that keeps it exactly: integers (times in ms, counters) with "%d" (a fraction of the cost
-- of the "%.14g" of tostring or the "%.17g" redis.call applies to a number argument), others (a GCRA theoretical
-- arrival time) with all 17 digits; nil is "".
local INT_STRINGS = {} -- small integers already formatted (attempts, lengths, limits); 1,000 at most
local function num(x)
  if x == nil then return "" end
  if x % 1 == 0 and x > -1e15 and x < 1e15 then
    if x >= 0 and x < 1000 then
      local s = INT_STRINGS[x]
      if not s then
        s = string.format("%d", x)
        INT_STRINGS[x] = s
      end
      return s
    end
    return string.format("%d", x)
  end
  return string.format("%.17g", x)
end

-- Parsed policies by their packed "pol" string. A policy only changes on sync and endpoints mostly share a few,
-- while matching its 11 fields and converting its numbers was a large part of the Lua work of each endpoint a
-- script visits. Loaded as a Function library the table outlives the call (by EVALSHA it lasts one call). It is
-- keyed by the stored bytes, so it is never stale; it starts afresh at 2,000 entries to bound its memory. Entries
-- are read only: load_endpoint copies what it needs into the endpoint's table, which scripts change.
local POLICIES, POLICY_COUNT = {}, 0
local function parse_policy(pol)
  local p = POLICIES[pol]
  if p then return p end
  local conc, rps, burst, ord, bw, bmin, brate, bcool, bdis, cfg, dmsg = string.match(pol, EP_POLICY_PATTERN)
  p = {
    -- "+ 0" converts with one strtod where tonumber() runs two; these are always numbers (written by sync).
    conc = conc + 0, rps = rps + 0, burst = burst + 0, ord = ord == "1", cfg = cfg == "1", dmsg = dmsg,
    bw = tonumber(bw), bmin = tonumber(bmin), brate = tonumber(brate), bcool = tonumber(bcool),
    bdis = tonumber(bdis),
  }
  if POLICY_COUNT >= 2000 then POLICIES, POLICY_COUNT = {}, 0 end
  POLICIES[pol] = p
  POLICY_COUNT = POLICY_COUNT + 1
  return p
end

-- The breaker's policy and window (bw, bmin, brate, bcool, bdis, dmsg, ws, wok, wfail, fs) are only needed when a
-- script counts a result or resets the window: enqueue and claim never look at them. Until then (ep.raw_window) the
-- window's four values stay the strings read, as converting a string to a number in Lua is two strtod calls, and
-- the policy's stay in the policy cache (ep.pol, the raw "pol" string, finds them).
local function load_breaker(ep)
  if not ep.raw_window then return end
  ep.raw_window = nil
  local p = parse_policy(ep.pol)
  ep.bw, ep.bmin, ep.brate, ep.bcool, ep.bdis, ep.dmsg = p.bw, p.bmin, p.brate, p.bcool, p.bdis, p.dmsg
  -- "+ 0" (one strtod) where the value is there; tonumber runs two.
  local ws, wok, wfail, fs = ep.ws, ep.wok, ep.wfail, ep.fs
  ep.ws, ep.wok, ep.wfail = ws ~= "" and ws + 0 or 0, wok ~= "" and wok + 0 or 0, wfail ~= "" and wfail + 0 or 0
  ep.fs = fs ~= "" and fs + 0 or nil
end

-- Parsed endpoint states by their packed "st" string, as arrays of the values load_endpoint reads: en, inf, tat,
-- br, ou, probe, ws, wok, wfail, fs (the window's four as the strings stored: see load_breaker), pu, why. Matching
-- the state's 12 fields was the largest part of the Lua work per endpoint visit. A script that saves a state adds
-- it (save_endpoint: the values it packed), so the next script visiting the endpoint finds it unparsed. Keyed by
-- the stored bytes it is never stale; entries are read only (load_endpoint copies the values). Two generations of
-- 2,000 entries bound the memory (some 1.5 MB) while a state stays findable for at least 2,000 saves. (Loaded by
-- EVALSHA the tables last one call.)
local STATES, OLD_STATES, STATE_COUNT = {}, {}, 0
local function remember_state(st, values)
  if STATE_COUNT >= 2000 then OLD_STATES, STATES, STATE_COUNT = STATES, {}, 0 end
  STATES[st] = values
  STATE_COUNT = STATE_COUNT + 1
end

local function parse_state(st)
  local s = STATES[st] or OLD_STATES[st]
  if s then return s end
  local en, inf, tat, br, ou, probe, ws, wok, wfail, fs, pu, why = string.match(st, EP_STATE_PATTERN)
  -- "+ 0": see parse_policy (inf is always a number); the fields that may be "" keep tonumber.
  s = {
    en ~= "0", inf + 0, tat ~= "" and tonumber(tat) or nil, br ~= "" and br or "closed",
    ou ~= "" and tonumber(ou) or nil, probe == "1", ws, wok, wfail, fs, pu ~= "" and tonumber(pu) or nil, why,
  }
  remember_state(st, s)
  return s
end

-- The packed state, and the window's four values as packed. One concatenation (one VM instruction for the whole
-- chain, every part a string) instead of table.concat of a new table: about half the work.
local function pack_endpoint_state(ep)
  local ws, wok, wfail, fs
  if ep.raw_window then
    ws, wok, wfail, fs = ep.ws, ep.wok, ep.wfail, ep.fs
  else
    ws, wok, wfail, fs = num(ep.ws), num(ep.wok), num(ep.wfail), num(ep.fs)
  end
  local packed = (ep.en and "1" or "0") .. "|" .. num(ep.inf) .. "|" .. num(ep.tat) .. "|" .. ep.br .. "|"
    .. num(ep.ou) .. "|" .. (ep.probe and "1" or "0") .. "|" .. ws .. "|" .. wok .. "|" .. wfail .. "|" .. fs
    .. "|" .. num(ep.pu) .. "|" .. ep.why
  return packed, ws, wok, wfail, fs
end

-- Hashes written before the packed format (one field per value) are read as well, and rewritten in place when
-- first read by a script that may write: returns { pol, st, wait } (load_endpoint reads the first two), or nil.
local EP_OLD_FIELDS = {
  "conc", "rps", "burst", "ord", "bw", "bmin", "brate", "bcool", "bdis", "cfg", "dmsg",
  "en", "inf", "tat", "br", "ou", "probe", "ws", "wok", "wfail", "fs", "pu", "why", "wait",
}
local ENDPOINTS_READ_ONLY = false -- set by the scripts flagged no-writes
local function read_old_endpoint(ek)
  local v = redis.call("HMGET", ek, unpack(EP_OLD_FIELDS))
  if not v[1] then return nil end
  for i = 1, #EP_OLD_FIELDS do v[i] = v[i] or "" end
  if v[12] == "" then v[12] = "1" end
  if v[15] == "" then v[15] = "closed" end
  local packed = { table.concat(v, "|", 1, 11), table.concat(v, "|", 12, 23), v[24] }
  if not ENDPOINTS_READ_ONLY then
    redis.call("HDEL", ek, unpack(EP_OLD_FIELDS))
    redis.call("HSET", ek, "pol", packed[1], "st", packed[2], "wait", packed[3] ~= "" and packed[3] or "0")
  end
  return packed
end

-- Reads an endpoint's policy and state; nil when its policy is missing (never synced, or lost in a flush). The
-- ordering-line counter "wait" is left out: only endpoint-states reads it (HGET), and every field of this table
-- costs each endpoint visit.
local function load_endpoint(id)
  local ek = K.endpoint(id)
  local v = redis.call("HMGET", ek, "pol", "st")
  if not v[1] then
    v = read_old_endpoint(ek)
    if not v then return nil end
  end
  local p = parse_policy(v[1])
  local stored = v[2] or EP_NEW_STATE
  local s = parse_state(stored)
  return {
    id = id, key = ek, pol = v[1],
    conc = p.conc, rps = p.rps, burst = p.burst, ord = p.ord, cfg = p.cfg, -- the rest: load_breaker
    en = s[1], inf = s[2], tat = s[3], br = s[4], ou = s[5], probe = s[6],
    ws = s[7], wok = s[8], wfail = s[9], fs = s[10], raw_window = true, -- see load_breaker
    pu = s[11], why = s[12],
    stored = stored,
  }
end

-- Writes the state back when it changed (a claim or a settle always changes "inf"; a read-only visit does not).
-- The values written are those parse_state would read from them (num() keeps numbers exact; en and probe are
-- booleans, br and why strings), so they go to the state cache as they are.
local function save_endpoint(ep)
  local packed, ws, wok, wfail, fs = pack_endpoint_state(ep)
  if packed ~= ep.stored then
    redis.call("HSET", ep.key, "st", packed)
    ep.stored = packed
    remember_state(packed, { ep.en, ep.inf, ep.tat, ep.br, ep.ou, ep.probe, ws, wok, wfail, fs, ep.pu, ep.why })
  end
end

local function emission_interval(ep) return 1000 / ep.rps end
local function tolerance(ep) return (1000 / ep.rps) * (ep.burst - 1) end

-- Earliest time the endpoint may lease again by time alone, or nil when it waits for an event (disabled,
-- concurrency full, half-open probe in flight). An open breaker past its cooldown counts as half-open. While the
-- breaker is open or half-open, the probe waits until nothing leased before it opened is in flight.
local function eligible_at(ep)
  if not (ep.cfg and ep.en) then return nil end
  if ep.inf >= ep.conc then return nil end
  if ep.br ~= "closed" and ep.inf > 0 then return nil end
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
  -- Held by a throttled result (429/503 with its Retry-After) until then.
  if ep.pu and ep.pu > at then at = ep.pu end
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

-- The due time of the endpoint's queue head, or false when the queue is empty (`queue`: its key, when built).
local function queue_head_due(ep_id, queue)
  local head = redis.call("ZRANGE", queue or K.queue(ep_id), 0, 0, "WITHSCORES")
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

-- `now_s`: now as the caller received it, the time most entries are set to (formatting a time costs a sprintf).
local function batch_reschedule(batch, ep, now, head_due, now_s)
  local at = schedule_at(ep, now, head_due)
  if at then
    batch.add[#batch.add + 1] = at == now and now_s or num(at)
    batch.add[#batch.add + 1] = ep.id
  else
    batch.rem[#batch.rem + 1] = ep.id
  end
end

-- After new work due `now` was queued: schedule the endpoint no later than its eligible time. Returns 1 when
-- a wake-up is worth sending: the endpoint may lease now, or its schedule entry was added or moved earlier;
-- and, as a second value, the time the entry was set to (max(now, eligible_at)), which that wake-up names.
local function schedule_due(ep, now)
  local at = eligible_at(ep)
  if not at then return 0 end
  if now > at then at = now end
  local changed = redis.call("ZADD", K.schedule, "LT", "CH", at, ep.id)
  if at <= now then return 1, at end
  return changed, at
end

-- Counts one attempt's result in the breaker window and failingSince, opens/closes the breaker and disables
-- an endpoint failing for longer than breaker.disableAfterMs.
local function record_result(ep, success, is_probe, now)
  load_breaker(ep)
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

-- A delivery of the message settled for good: the envelope goes once no delivery needs it anymore.
local function release_message(mid)
  local mk = K.message(mid)
  if redis.call("HINCRBY", mk, "refs", -1) <= 0 then redis.call("DEL", mk) end
end

-- Calls fn with the items of list in chunks, so unpack() never exceeds Lua's stack.
local function in_chunks(list, fn)
  local size = 500
  for i = 1, #list, size do
    fn(unpack(list, i, math.min(i + size - 1, #list)))
  end
end

-- The hand-off to the history tier. A settled delivery leaves Redis in the call that settles it, and its record goes to
-- the outbox stream, unless the outbox holds `max_len` records already and it was delivered: then its history is shed
-- and counted. A dead letter is always added: it is never lost on the way. A record is the fields h = "st|a|c|s|d|m|ep"
-- (status, attempts, created at, settled at, delivery id, message id, endpoint id last: it is the only free text), env,
-- log or at (attempt_log_field) and, for a dead letter, why. Delivered records are batched: one stream entry holds up
-- to OUTBOX_BATCH of them, their fields one after the other (outbox-records.ts decodes them). A stream entry costs
-- Redis its own XADD, a PEL insert when read, an XCLAIM propagated to the AOF, an XACK and an XDEL: once per record,
-- that was a third of the hand-off's and settle's work. (Not one field packing the batch: Lua hashes every byte of
-- every string it makes, and concatenating 16 envelopes cost more than it saved.) A dead letter gets an entry of its
-- own: the history may refuse one for good, and it must then stay while the records around it are acknowledged. Records
-- waiting are counted by the outbox index (one entry per delivery waiting, written by every version, legacy records
-- included): a stream's length counts entries.
local OUTBOX_BATCH = 16
local OUTBOX_BATCH_BYTES = 262144 -- a batch closes past this many bytes of envelopes: bounded entries and reads
-- shed_envelopes: deliveries whose shed record's envelope is in `{hy}:envelopes`, deleted by outbox_finish.
local OUTBOX = { len = nil, shed = 0, ids = {}, dids = {}, fields = {}, bytes = 0, shed_envelopes = {} }

-- Adds the pending batch of delivered records as one entry; the index points their deliveries at it.
local function outbox_flush()
  local dids = OUTBOX.dids
  if #dids == 0 then return end
  local entry = redis.call("XADD", K.outbox, "*", unpack(OUTBOX.fields))
  local ids = OUTBOX.ids
  for i = 1, #dids do
    ids[#ids + 1] = dids[i]
    ids[#ids + 1] = entry
  end
  OUTBOX.dids, OUTBOX.fields, OUTBOX.bytes = {}, {}, 0
end

-- The record's fields as arguments, not a table: one table of eleven fields per settled delivery cost more than
-- the rest of this function's Lua. Numbers (attempts, times) are formatted as table.concat did ("%.14g").
-- env nil: the envelope is in `{hy}:envelopes` under the delivery's id; the record says so with ex = "1" instead of
-- an env field, and the envelope stays there until the record is stored (ack-outbox.lua), or goes now if shed.
local function outbox_add(st, a, c, s, d, m, ep, env, log_field, log, why, max_len)
  local dead = st == "dead"
  if OUTBOX.len == nil then OUTBOX.len = redis.call("HLEN", K.outbox_ids) end
  if not dead and OUTBOX.len >= max_len then
    OUTBOX.shed = OUTBOX.shed + 1
    if env == nil then OUTBOX.shed_envelopes[#OUTBOX.shed_envelopes + 1] = d end
    return false
  end
  local head = st .. "|" .. a .. "|" .. c .. "|" .. s .. "|" .. d .. "|" .. m .. "|" .. ep
  local env_field, env_value = "env", env
  if env == nil then env_field, env_value = "ex", "1" end
  OUTBOX.len = OUTBOX.len + 1
  if dead then
    local ids = OUTBOX.ids
    ids[#ids + 1] = d
    ids[#ids + 1] = redis.call("XADD", K.outbox, "*", "h", head, env_field, env_value, log_field, log, "why", why)
    redis.call("HINCRBY", K.outbox_counts, "dead:" .. ep, 1)
    return true
  end
  local fields, n = OUTBOX.fields, #OUTBOX.fields
  fields[n + 1], fields[n + 2], fields[n + 3], fields[n + 4], fields[n + 5], fields[n + 6] =
    "h", head, env_field, env_value, log_field, log
  local dids = OUTBOX.dids
  dids[#dids + 1] = d
  if env then OUTBOX.bytes = OUTBOX.bytes + #env end
  if #dids >= OUTBOX_BATCH or OUTBOX.bytes >= OUTBOX_BATCH_BYTES then outbox_flush() end
  return true
end

-- Adds the last batch, writes the shed count and the outbox index entries of this call (once per call, not once
-- per record).
local function outbox_finish()
  outbox_flush()
  if OUTBOX.shed > 0 then redis.call("HINCRBY", K.outbox_counts, "shed", OUTBOX.shed) end
  if #OUTBOX.shed_envelopes > 0 then
    in_chunks(OUTBOX.shed_envelopes, function(...) redis.call("HDEL", K.envelopes, ...) end)
  end
  for i = 1, #OUTBOX.ids, 1000 do
    redis.call("HSET", K.outbox_ids, unpack(OUTBOX.ids, i, math.min(i + 999, #OUTBOX.ids)))
  end
  -- Written: a second part of the same script call (complete-claim) starts afresh.
  OUTBOX.shed, OUTBOX.ids, OUTBOX.shed_envelopes = 0, {}, {}
end

-- The settle time of an entry's first record. h = st|a|c|s|d|m|ep: the fourth value; entries written before that
-- packed header have it in a field of its own, s (outbox-records.ts reads both).
local function first_settled_at(fields)
  for i = 1, #fields, 2 do
    if fields[i] == "h" then return tonumber(string.match(fields[i + 1], "^[^|]*|[^|]*|[^|]*|([^|]*)|")) end
    if fields[i] == "s" then return tonumber(fields[i + 1]) end
  end
  return nil
end

-- The outbox's figures (endpoint-states, outbox-stats): records waiting, delivered records shed, and how long the
-- oldest waiting record (the first entry of the outbox, or of the legacy one) has waited at `now`: now minus its settle
-- time, both on the store clock, in ms. Not the entry id's time: that is this server's wall clock at the XADD, while
-- every time a caller compares with (settle, due, lease times) is the store clock it passes as `now`. 0 when nothing
-- waits; never negative (another instance's `now` may be a few ms ahead of this one's).
local function outbox_figures(now)
  local len = redis.call("HLEN", K.outbox_ids)
  local shed = tonumber(redis.call("HGET", K.outbox_counts, "shed") or "0")
  local age = 0
  for _, stream in ipairs({ K.outbox, K.legacy_outbox }) do
    local first = redis.call("XRANGE", stream, "-", "+", "COUNT", 1)[1]
    local settled = first and first_settled_at(first[2])
    if settled then age = math.max(age, now - settled) end
  end
  return len, shed, age
end

-- The attempt log of a settling delivery for its outbox record, as a field name and value: "log", a JSON array,
-- newest first, of `latest` (this settle's attempt, "" for none) and the list's records (when `has_log`); or, for
-- most deliveries (a first try: one attempt, no list), "at", the attempt's own JSON as the worker sent it. Wrapping
-- it in brackets made a new string, and Lua hashes every byte of every string it makes.
local function attempt_log_field(did, latest, has_log)
  if not has_log then
    if latest == "" then return "log", "[]" end
    return "at", latest
  end
  local records = redis.call("LRANGE", K.attempts(did), 0, -1)
  if latest ~= "" then table.insert(records, 1, latest) end
  return "log", "[" .. table.concat(records, ",") .. "]"
end

-- Writes a schedule batch; returns how many endpoints were added that were not scheduled before.
-- The earliest time a schedule batch puts an endpoint at: what the wake-up after it names, so that workers
-- wait for an entry due later (a 429's Retry-After, a retry's backoff, a rate limit) rather than claim at once
-- for nothing. False when the batch adds nothing.
local function batch_earliest(batch)
  local earliest = false
  for i = 1, #batch.add, 2 do
    local at = tonumber(batch.add[i])
    if not earliest or at < earliest then earliest = at end
  end
  return earliest
end

local function apply_schedule_batch(batch)
  local added = 0
  if #batch.rem > 0 then in_chunks(batch.rem, function(...) redis.call("ZREM", K.schedule, ...) end) end
  if #batch.add > 0 then
    in_chunks(batch.add, function(...) added = added + redis.call("ZADD", K.schedule, ...) end)
  end
  return added
end
