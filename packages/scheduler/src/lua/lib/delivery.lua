--[[
  A delivery's hash (`{hy}:dlv:<id>`): "s", its state packed as one field, "env" (the envelope, when the message
  has this one delivery) and "k" (its ordering key, under per-key order). One field for what used to be up to
  eleven: a claim writes one short field instead of six, a settle reads three instead of eleven, and a queued
  delivery keeps two or three hash entries.
  s = st|a|t|lg|p|lease|ft|c|m|<byte length of ep>|<ep><w>
      st: queued | leased; a: attempts ("" = 0); t: throttled attempts ("" = 0); lg: "1" when it has an attempt
      list; p: "1" when leased as a half-open probe; lease: lease expiry; ft: the lease's fencing token;
      c: created at; m: message id; then the endpoint id, length-prefixed, and the worker holding the lease (both
      free text, so last).
]]

-- Storage formats (keys.ts, `{hy}:format`): format 2 keeps the envelopes of single-delivery messages enqueued in
-- batches in `{hy}:envelopes`, out of Lua; their delivery hash says x = "1". An enqueue record's envelope "@" says
-- the caller wrote it there, ahead of the call (an encoded envelope is JSON: it never is "@").
local NEWEST_FORMAT = "2"
local ENVELOPE_EXTERNAL = "@"

-- The text of an envelope kept in `{hy}:envelopes` ("" when gone), for the rare scripts that need it in Lua: a
-- pushed lease carries it, a dead letter's operator event names its type, getDelivery returns it.
local function external_envelope(did)
  return redis.call("HGET", K.envelopes, did) or ""
end

local DLV_PATTERN = "^([^|]*)|([^|]*)|([^|]*)|([^|]*)|([^|]*)|([^|]*)|([^|]*)|([^|]*)|([^|]*)|(%d+)|(.*)$" -- spelled out: see EP_POLICY_PATTERN
local DLV_OLD_FIELDS = { "st", "a", "t", "lg", "p", "lease", "ft", "c", "m", "ep", "w" }

-- A hash written before the packed state (one field per value): read as it is; the next write adds "s", which
-- is read first from then on (the old fields go with the delivery when it settles).
local function read_old_delivery(dk)
  local v = redis.call("HMGET", dk, unpack(DLV_OLD_FIELDS))
  if not v[1] then return nil end
  local d = {}
  for i, field in ipairs(DLV_OLD_FIELDS) do d[field] = v[i] or "" end
  return d
end

-- Leased states by their packed string, as arrays of the values read_delivery reads (st, a, t, lg, p, lease, ft,
-- c, m, ep, w), added by the claim that writes them (leased_state): the settle of a lease, seconds later, finds it
-- unparsed (matching the ~150 bytes of a leased state was the largest match left in a settle). Keyed by the stored
-- bytes it is never stale; entries are read only (read_delivery copies them) and dropped once read. Two
-- generations of 2,000 bound the memory (~2 MB) while a lease stays findable for at least 2,000 later leases.
-- (Loaded by EVALSHA the tables last one call: the claim part of complete-claim finds what its complete part
-- wrote only in a Function library.)
local LEASED, OLD_LEASED, LEASED_COUNT = {}, {}, 0

-- The packed state of a delivery leased to `w` (lib/delivery.lua's format), remembered for its settle.
local function leased_state(a, t, lg, p, lease, ft, c, m, ep, w)
  local s = "leased|" .. a .. "|" .. t .. "|" .. lg .. "|" .. p .. "|" .. lease .. "|" .. ft .. "|" .. c .. "|" .. m
    .. "|" .. num(#ep) .. "|" .. ep .. w
  if LEASED_COUNT >= 2000 then OLD_LEASED, LEASED, LEASED_COUNT = LEASED, {}, 0 end
  LEASED[s] = { "leased", a, t, lg, p, lease, ft, c, m, ep, w }
  LEASED_COUNT = LEASED_COUNT + 1
  return s
end

-- Reads a delivery's state, and the extra hash fields named (e.g. "env", "k"), returned after it (false when
-- absent). nil when the delivery is not in Redis.
local function read_delivery(dk, ...)
  local v = redis.call("HMGET", dk, "s", ...)
  local d
  local e = v[1] and (LEASED[v[1]] or OLD_LEASED[v[1]])
  if e then
    -- Settled or leased again, it is written anew: the entry is not needed anymore.
    LEASED[v[1]], OLD_LEASED[v[1]] = nil, nil
    d = { st = e[1], a = e[2], t = e[3], lg = e[4], p = e[5], lease = e[6], ft = e[7], c = e[8], m = e[9], ep = e[10],
      w = e[11] }
  elseif v[1] then
    local st, a, t, lg, p, lease, ft, c, m, n, rest = string.match(v[1], DLV_PATTERN)
    n = n + 0
    -- A queued delivery has no worker: the rest is the endpoint id, no need to cut it.
    local ep, w = rest, ""
    if #rest ~= n then ep, w = string.sub(rest, 1, n), string.sub(rest, n + 1) end
    d = { st = st, a = a, t = t, lg = lg, p = p, lease = lease, ft = ft, c = c, m = m, ep = ep, w = w }
  else
    d = read_old_delivery(dk)
  end
  return d, v[2], v[3], v[4]
end

-- What a claim needs of a state to lease it (a, t, lg, c, m, the endpoint id), as values: no table per lease, and
-- four captures fewer than read_delivery (st, p, lease and ft are replaced). nil for a hash without "s" (the old
-- format: read_delivery reads it).
local DLV_LEASE_PATTERN = "^[^|]*|([^|]*)|([^|]*)|([^|]*)|[^|]*|[^|]*|[^|]*|([^|]*)|([^|]*)|(%d+)|(.*)$"
local function lease_fields(s)
  local a, t, lg, c, m, n, rest = string.match(s, DLV_LEASE_PATTERN)
  n = n + 0
  if #rest ~= n then rest = string.sub(rest, 1, n) end
  return a, t, lg, c, m, rest
end

-- A field read as a string stays as it is; one a script computed (attempts) goes through num(): table.concat would
-- format it with "%.14g".
local function as_field(x)
  if type(x) == "number" then return num(x) end
  return x
end

-- One concatenation rather than table.concat of a new table (see pack_endpoint_state).
local function pack_delivery(d)
  return d.st .. "|" .. as_field(d.a) .. "|" .. as_field(d.t) .. "|" .. d.lg .. "|" .. d.p .. "|" .. d.lease .. "|"
    .. d.ft .. "|" .. d.c .. "|" .. d.m .. "|" .. num(#d.ep) .. "|" .. d.ep .. d.w
end

local function write_delivery(dk, d)
  redis.call("HSET", dk, "s", pack_delivery(d))
end

-- The state of a new delivery, queued, never attempted.
local function queued_delivery(created, mid, ep_id)
  return "queued|||||||" .. created .. "|" .. mid .. "|" .. num(#ep_id) .. "|" .. ep_id
end
