--[[
  extend-leases: extends the leases a worker still holds; others' leases and settled deliveries are ignored.

  KEYS[1] leases
  ARGV[1] base key prefix "{prefix}:"
  ARGV[2] new lease expiry (ms, store clock)
  ARGV[3] worker id
  ARGV[4..] pairs: delivery id, fencing token ("" = any lease of the worker)

  Returns the number of leases extended.
]]

local lease_until = ARGV[2]
local worker = ARGV[3]
local members = {}
for i = 4, #ARGV, 2 do
  local dk = K.delivery(ARGV[i])
  local token = ARGV[i + 1]
  local d = read_delivery(dk)
  if d and d.st == "leased" and d.w == worker and (token == "" or d.ft == token) then
    d.lease = lease_until
    write_delivery(dk, d)
    members[#members + 1] = lease_until
    members[#members + 1] = ARGV[i]
  end
end
if #members > 0 then
  in_chunks(members, function(...) redis.call("ZADD", K.leases, ...) end)
end
return #members / 2
