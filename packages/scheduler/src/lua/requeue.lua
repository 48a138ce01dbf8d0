--[[
  requeue: queues settled deliveries again (a replay from the history store): each gets its delivery hash back
  (same id, message id and creation time, attempts 0, the envelope inline) and joins its queue due now, or the end
  of its key's line under per-key order. A delivery still live in Redis (queued or leased) is left alone; one
  whose endpoint has no policy is reported.

  KEYS[1] schedule
  ARGV[1] base key prefix "{prefix}:"
  ARGV[2] now (ms, store clock)
  ARGV[3..] groups of 6: delivery id, message id, endpoint id, created at, encoded envelope, ordering key ("")

  Returns { { delivery ids queued }, { endpoint ids without policy } }.
]]

local now = tonumber(ARGV[2])
local queued, unknown, touched = {}, {}, {}
local endpoints = {}
for i = 3, #ARGV, 6 do
  local did, mid, ep_id, created, envelope, key = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], ARGV[i + 4],
    ARGV[i + 5]
  local ep = endpoints[ep_id]
  if ep == nil then
    ep = load_endpoint(ep_id) or false
    endpoints[ep_id] = ep
    if not ep then unknown[#unknown + 1] = ep_id end
  end
  local dk = K.delivery(did)
  if ep and redis.call("EXISTS", dk) == 0 then
    local ordered = ep.ord and key ~= ""
    local state = queued_delivery(created, mid, ep_id)
    if ordered then
      redis.call("HSET", dk, "s", state, "env", envelope, "k", key)
    else
      redis.call("HSET", dk, "s", state, "env", envelope)
    end
    if ordered then join_line(ep_id, key, did, now) else redis.call("ZADD", K.queue(ep_id), now, did) end
    queued[#queued + 1] = did
    touched[ep_id] = ep
  end
end
-- The wake-up names the earliest time the replay made work due (an endpoint held by a rate limit, a breaker or a
-- 429 is due later), as enqueue.lua's does: workers wait for it rather than claim at once for nothing.
local woke_at = nil
for _, ep in pairs(touched) do
  local wake, at = schedule_due(load_endpoint(ep.id), now)
  if wake > 0 and (not woke_at or at < woke_at) then woke_at = at end
end
if woke_at then redis.call("SPUBLISH", K.wake, num(woke_at)) end
return { queued, unknown }
