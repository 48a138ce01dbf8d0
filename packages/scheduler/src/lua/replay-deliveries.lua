--[[
  replay-deliveries: replayDelivery for many deliveries in one call (bulk replay jobs run it per batch). Each
  delivered or dead delivery is queued again, due now, attempts reset; others are left alone.

  KEYS[1] schedule
  ARGV[1] base key prefix "{prefix}:"
  ARGV[2] now (ms, store clock)
  ARGV[3..] delivery ids

  Returns the number of deliveries queued.
]]

local now = tonumber(ARGV[2])
local count, touched = 0, {}
for i = 3, #ARGV do
  local ep_id = requeue_settled(ARGV[i], now)
  if ep_id then
    count = count + 1
    touched[ep_id] = true
  end
end
local woken = 0
for ep_id in pairs(touched) do
  local ep = load_endpoint(ep_id)
  if ep then woken = woken + schedule_due(ep, now) end
end
if woken > 0 then redis.call("PUBLISH", K.wake, now) end
return count
