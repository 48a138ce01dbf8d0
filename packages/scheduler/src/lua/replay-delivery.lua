--[[
  replay-delivery: queues one delivered or dead delivery again, due now, attempts reset (the attempt log keeps
  its history). Under per-key order it joins the end of its key's line.

  KEYS[1] schedule
  ARGV[1] base key prefix "{prefix}:"
  ARGV[2] now (ms, store clock)
  ARGV[3] delivery id

  Returns 1 when queued, 0 when unknown, already queued/leased, or its envelope is gone.
]]

local now = tonumber(ARGV[2])
local ep_id = requeue_settled(ARGV[3], now)
if not ep_id then return 0 end
local ep = load_endpoint(ep_id)
if ep and schedule_due(ep, now) > 0 then redis.call("PUBLISH", K.wake, now) end
return 1
