--[[
  get-deliveries: reads live (queued or leased) deliveries for getDelivery. Settled ones have left Redis.

  KEYS[1] schedule (routes the call to the store's slot)
  ARGV[1] base key prefix "{prefix}:"
  ARGV[2..] delivery ids

  Returns per delivery found 8 items: id, message id, endpoint id, status, attempts, created at, due at ("" when
  not in its queue), encoded envelope ("" when gone).
]]

local out = {}
for i = 2, #ARGV do
  local did = ARGV[i]
  local v = redis.call("HMGET", K.delivery(did), "m", "ep", "st", "a", "c", "env")
  if v[3] then
    local due = ""
    if v[3] == "queued" then due = redis.call("ZSCORE", K.queue(v[2]), did) or "" end
    local env = v[6] or redis.call("HGET", K.message(v[1]), "env") or ""
    for _, item in ipairs({ did, v[1], v[2], v[3], v[4] or "0", v[5] or "0", due, env }) do
      out[#out + 1] = item
    end
  end
end
return out
