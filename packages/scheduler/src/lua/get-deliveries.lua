--[[
  get-deliveries: reads deliveries for getDelivery and listDeadLetters in one round trip.

  KEYS[1] schedule (routes the call to the store's slot)
  ARGV[1] base key prefix "{prefix}:"
  ARGV[2] "ids" to read ARGV[4..], or "dead" to read the oldest ARGV[4] dead letters of endpoint ARGV[3]
  ARGV[3] endpoint id (mode "dead")
  ARGV[4..] delivery ids (mode "ids"), or the limit (mode "dead")

  Returns per delivery found 9 items: id, message id, endpoint id, status, attempts, created at, due at ("" when
  not in its queue), dead reason, encoded envelope ("" when gone).
]]

local ids
if ARGV[2] == "dead" then
  -- Oldest death first; entries whose delivery has expired are dropped on the way (the only write).
  local limit, dead, start = tonumber(ARGV[4]), K.dead(ARGV[3]), 0
  ids = {}
  while #ids < limit do
    local need = limit - #ids
    local page = redis.call("ZRANGE", dead, start, start + need - 1)
    for _, did in ipairs(page) do
      if redis.call("EXISTS", K.delivery(did)) == 1 then
        ids[#ids + 1] = did
        start = start + 1
      else
        redis.call("ZREM", dead, did)
      end
    end
    if #page < need then break end
  end
else
  ids = {}
  for i = 4, #ARGV do ids[#ids + 1] = ARGV[i] end
end

local out = {}
for _, did in ipairs(ids) do
  local v = redis.call("HMGET", K.delivery(did), "m", "ep", "st", "a", "c", "why", "env")
  if v[3] then
    local due = ""
    if v[3] == "queued" then due = redis.call("ZSCORE", K.queue(v[2]), did) or "" end
    local env = v[7] or redis.call("HGET", K.message(v[1]), "env") or ""
    for _, item in ipairs({ did, v[1], v[2], v[3], v[4] or "0", v[5] or "0", due, v[6] or "", env }) do
      out[#out + 1] = item
    end
  end
end
return out
