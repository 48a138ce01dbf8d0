--[[
  query-deliveries: one page of the delivery log, newest first, from the indexes enqueue writes (ix:*). The most
  selective index is read (event id, else the endpoints' or the type's, whichever is smaller, else all), in
  chunks, and the other filters are checked on each delivery hash. At most ARGV[3] index entries are examined
  per call, so a rare filter answers quickly with a partial page and a cursor to go on from. Status "dead" reads
  the endpoints' dead-letter sets instead while they hold at most 20,000 entries together.

  KEYS[1] schedule (routes the call to the store's slot)
  ARGV[1] base key prefix "{prefix}:"
  ARGV[2] page size
  ARGV[3] scan budget (index entries examined at most)
  ARGV[4] exclusive upper bound: "+" or "(" .. delivery id (cursor and/or created-before prefix)
  ARGV[5] inclusive lower bound: "-" or "[" .. base36 created-at prefix
  ARGV[6] status ("" = any), ARGV[7] event type (""), ARGV[8] event id ("")
  ARGV[9..] endpoint ids (none = every endpoint)

  Returns { next cursor ("" = no more), entries examined, then per delivery 10 items: id, message id, endpoint
  id, status, attempts, created at, dead reason, event id, type, last attempt (JSON without bodies and headers,
  "" when none) }. Index entries whose delivery has expired are removed on the way.
]]

local limit, budget = tonumber(ARGV[2]), tonumber(ARGV[3])
local DEAD_SET_LIMIT = 20000
local upper, lower = ARGV[4], ARGV[5]
local want_status, want_type, want_event = ARGV[6], ARGV[7], ARGV[8]
local endpoint_set, endpoint_ids = nil, {}
for i = 9, #ARGV do endpoint_ids[#endpoint_ids + 1] = ARGV[i] end
if #endpoint_ids > 0 then
  endpoint_set = {}
  for _, id in ipairs(endpoint_ids) do endpoint_set[id] = true end
end

-- The index to read: the smallest that still covers every match.
local sources
if want_event ~= "" then
  sources = { K.ix_event(want_event) }
elseif endpoint_set then
  local by_endpoint, size = {}, 0
  for _, id in ipairs(endpoint_ids) do
    local key = K.ix_endpoint(id)
    by_endpoint[#by_endpoint + 1] = key
    size = size + redis.call("ZCARD", key)
  end
  sources = by_endpoint
  if want_type ~= "" and redis.call("ZCARD", K.ix_type(want_type)) < size then sources = { K.ix_type(want_type) } end
elseif want_type ~= "" then
  sources = { K.ix_type(want_type) }
else
  sources = { K.ix_all }
end

local found, scanned, last, exhausted = {}, 0, nil, false

local function examine(did, origin_key)
  scanned = scanned + 1
  last = did
  local v = redis.call("HMGET", K.delivery(did), "m", "ep", "st", "a", "c", "why", "e", "t", "la")
  if not v[3] then
    if origin_key then redis.call("ZREM", origin_key, did) end
  elseif (want_status == "" or v[3] == want_status) and (want_type == "" or v[8] == want_type)
    and (want_event == "" or v[7] == want_event) and (endpoint_set == nil or endpoint_set[v[2]]) then
    found[#found + 1] = { did, v }
  end
end

-- Dead letters are few: when the dead-letter sets of the endpoints are small, they are the candidates (sorted by
-- id, i.e. creation) instead of a scan through every delivery.
if want_status == "dead" and want_event == "" then
  local ids = endpoint_ids
  if #ids == 0 then ids = redis.call("SMEMBERS", K.endpoints) end
  local total = 0
  for _, id in ipairs(ids) do total = total + redis.call("ZCARD", K.dead(id)) end
  if total <= DEAD_SET_LIMIT then
    local max_id = string.sub(upper, 2)
    local min_id = string.sub(lower, 2)
    local candidates = {}
    for _, id in ipairs(ids) do
      for _, did in ipairs(redis.call("ZRANGE", K.dead(id), 0, -1)) do
        if (upper == "+" or did < max_id) and (lower == "-" or did >= min_id) then candidates[#candidates + 1] = did end
      end
    end
    table.sort(candidates, function(a, b) return a > b end)
    local n = 0
    for _, did in ipairs(candidates) do
      if #found >= limit or scanned >= budget then break end
      n = n + 1
      examine(did, nil)
    end
    exhausted = n == #candidates
    sources = {}
  end
end

while #sources > 0 and #found < limit and scanned < budget and not exhausted do
  local chunk = math.min(budget - scanned, math.max(2 * (limit - #found), 100), 1000)
  -- Merge the sources: only entries at or above the highest "last entry" of a full chunk are known to be in order.
  local candidates, origin, floor = {}, {}, nil
  for _, key in ipairs(sources) do
    local page = redis.call("ZRANGE", key, upper, lower, "BYLEX", "REV", "LIMIT", 0, chunk)
    for _, did in ipairs(page) do
      candidates[#candidates + 1] = did
      origin[did] = key
    end
    if #page == chunk and (floor == nil or page[#page] > floor) then floor = page[#page] end
  end
  table.sort(candidates, function(a, b) return a > b end)
  local processed = 0
  for _, did in ipairs(candidates) do
    if floor ~= nil and did < floor then break end
    if #found >= limit or scanned >= budget then break end
    processed = processed + 1
    examine(did, origin[did])
  end
  -- Nothing more behind: no source filled its chunk and every candidate was examined.
  if floor == nil and processed == #candidates then exhausted = true end
  if last ~= nil then upper = "(" .. last end
  if processed == 0 then exhausted = true end
end

local out = { "", scanned }
if last ~= nil and not exhausted then out[1] = last end
for _, item in ipairs(found) do
  local did, v = item[1], item[2]
  local attempt = ""
  -- The latest attempt: inline in the delivery (first-try success, see complete.lua) or the list's head.
  local raw = v[9] or redis.call("LINDEX", K.attempts(did), 0)
  if raw then
    local ok, record = pcall(cjson.decode, raw)
    if ok and type(record) == "table" then
      attempt = cjson.encode({ startedAt = record.startedAt, durationMs = record.durationMs, status = record.status,
        errorClass = record.errorClass, errorMessage = record.errorMessage })
    end
  end
  for _, field in ipairs({ did, v[1], v[2], v[3], v[4] or "0", v[5] or "0", v[6] or "", v[7] or "", v[8] or "",
    attempt }) do
    out[#out + 1] = field
  end
end
return out
