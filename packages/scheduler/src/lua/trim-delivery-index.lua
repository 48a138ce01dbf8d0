--[[
  trim-delivery-index: drops delivery log index entries whose delivery has expired (retention). Deliveries expire
  roughly oldest first, so each index is checked from its oldest end, at most ARGV[2] entries per index per call;
  the caller repeats it periodically. Event-id indexes expire on their own (PEXPIRE at enqueue).

  KEYS[1] schedule (routes the call to the store's slot)
  ARGV[1] base key prefix "{prefix}:"
  ARGV[2] entries examined per index

  Returns the number of entries removed.
]]

local budget = tonumber(ARGV[2])
local removed = 0

local function trim(key)
  local stale = {}
  for _, did in ipairs(redis.call("ZRANGE", key, "-", "+", "BYLEX", "LIMIT", 0, budget)) do
    if redis.call("EXISTS", K.delivery(did)) == 0 then stale[#stale + 1] = did end
  end
  if #stale > 0 then in_chunks(stale, function(...) removed = removed + redis.call("ZREM", key, ...) end) end
end

trim(K.ix_all)
for _, id in ipairs(redis.call("SMEMBERS", K.endpoints)) do trim(K.ix_endpoint(id)) end
for _, t in ipairs(redis.call("SMEMBERS", K.ix_types)) do
  local key = K.ix_type(t)
  trim(key)
  if redis.call("EXISTS", key) == 0 then redis.call("SREM", K.ix_types, t) end
end
return removed
