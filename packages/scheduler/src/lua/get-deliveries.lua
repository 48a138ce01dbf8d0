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
  local d, inline_env, external = read_delivery(K.delivery(did), "env", "x")
  if d then
    local due = ""
    if d.st == "queued" then due = redis.call("ZSCORE", K.queue(d.ep), did) or "" end
    local env = inline_env
    if external then
      env = external_envelope(did)
    elseif not env then
      env = redis.call("HGET", K.message(d.m), "env") or ""
    end
    for _, item in ipairs({ did, d.m, d.ep, d.st, d.a ~= "" and d.a or "0", d.c ~= "" and d.c or "0", due, env }) do
      out[#out + 1] = item
    end
  end
end
return out
