--[[
  replay-dead-letters: queues every dead letter of an endpoint again, due now, attempts reset. Entries whose
  delivery expired are dropped from the dead-letter set.

  KEYS[1] schedule
  ARGV[1] base key prefix "{prefix}:"
  ARGV[2] now (ms, store clock)
  ARGV[3] endpoint id

  Returns the number of deliveries queued.
]]

local now = tonumber(ARGV[2])
local ep_id = ARGV[3]
local dead = K.dead(ep_id)
local count = 0
for _, did in ipairs(redis.call("ZRANGE", dead, 0, -1)) do
  if requeue_settled(did, now) then count = count + 1 else redis.call("ZREM", dead, did) end
end
if count > 0 then
  local ep = load_endpoint(ep_id)
  if ep and schedule_due(ep, now) > 0 then redis.call("PUBLISH", K.wake, now) end
end
return count
