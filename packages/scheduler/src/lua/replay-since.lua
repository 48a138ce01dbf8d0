--[[
  replay-since: queues again every delivered or dead delivery of an endpoint created at or after `since`, due
  now, attempts reset. Candidates come from the endpoint's delivery log index (ix:ep:<id>, written at enqueue):
  delivery ids start with their creation time (fixed-width base36 ms), so the ids at or after `since` are a
  lexical range. Queued or leased deliveries are left alone; entries whose delivery expired are skipped (the
  index trim drops them).

  KEYS[1] schedule
  ARGV[1] base key prefix "{prefix}:"
  ARGV[2] now (ms, store clock)
  ARGV[3] endpoint id
  ARGV[4] since (ms, store clock)
  ARGV[5] the smallest delivery id created at `since` (its time prefix)

  Returns the number of deliveries queued.
]]

local now = tonumber(ARGV[2])
local ep_id = ARGV[3]
local since = tonumber(ARGV[4])
local count = 0
for _, did in ipairs(redis.call("ZRANGE", K.ix_endpoint(ep_id), "[" .. ARGV[5], "+", "BYLEX")) do
  local created = redis.call("HGET", K.delivery(did), "c")
  if created and tonumber(created) >= since and requeue_settled(did, now) then count = count + 1 end
end
if count > 0 then
  local ep = load_endpoint(ep_id)
  if ep and schedule_due(ep, now) > 0 then redis.call("PUBLISH", K.wake, now) end
end
return count
