--[[
  set-endpoint-enabled: runtime enable/disable. Enabling clears the reason, resets the breaker (window, open
  state, probe, failingSince) and makes the endpoint's queued deliveries due now; disabling parks them.

  KEYS[1] schedule
  ARGV[1] base key prefix "{prefix}:"
  ARGV[2] now (ms, store clock)
  ARGV[3] endpoint id
  ARGV[4] "1" to enable, "0" to disable
  ARGV[5] reason when disabling

  Returns 1, or 0 when the endpoint is unknown.
]]

local now = tonumber(ARGV[2])
local ep = load_endpoint(ARGV[3])
if not ep then return 0 end

if ARGV[4] == "1" then
  load_breaker(ep)
  ep.en = true
  ep.why = ""
  ep.br = "closed"
  ep.ou = nil
  ep.probe = false
  ep.ws = now
  ep.wok = 0
  ep.wfail = 0
  ep.fs = nil
  ep.pu = nil
  local queue = K.queue(ep.id)
  local later = redis.call("ZRANGEBYSCORE", queue, "(" .. now, "+inf")
  local members = {}
  for _, did in ipairs(later) do
    members[#members + 1] = now
    members[#members + 1] = did
  end
  in_chunks(members, function(...) redis.call("ZADD", queue, ...) end)
else
  ep.en = false
  ep.why = ARGV[5]
end
save_endpoint(ep)
if reschedule(ep, now) > 0 or ARGV[4] == "1" then redis.call("SPUBLISH", K.wake, now) end
return 1
