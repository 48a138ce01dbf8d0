--[[
  replay-since: queues again every delivered or dead delivery of an endpoint created at or after `since`, due
  now, attempts reset. Candidates come from the delivered and dead-letter sets (scored by when they settled,
  which is never before creation); entries whose delivery expired are dropped.

  KEYS[1] schedule
  ARGV[1] base key prefix "{prefix}:"
  ARGV[2] now (ms, store clock)
  ARGV[3] endpoint id
  ARGV[4] since (ms, store clock)

  Returns the number of deliveries queued.
]]

local now = tonumber(ARGV[2])
local ep_id = ARGV[3]
local since = ARGV[4]
local count = 0
for _, set in ipairs({ K.done(ep_id), K.dead(ep_id) }) do
  for _, did in ipairs(redis.call("ZRANGEBYSCORE", set, since, "+inf")) do
    local created = redis.call("HGET", K.delivery(did), "c")
    if not created then
      redis.call("ZREM", set, did)
    elseif tonumber(created) >= tonumber(since) and requeue_settled(did, now) then
      count = count + 1
    end
  end
end
if count > 0 then
  local ep = load_endpoint(ep_id)
  if ep and schedule_due(ep, now) > 0 then redis.call("PUBLISH", K.wake, now) end
end
return count
