--[[
  endpoint-states: reads endpoint states for getEndpointState and stats (read only), and the outbox's figures.

  KEYS[1] schedule (routes the call to the store's slot)
  ARGV[1] base key prefix "{prefix}:"
  ARGV[2] now (ms, store clock)
  ARGV[3] "1": read the outbox's figures; "0": leave them out (0, 0, 0), e.g. for one endpoint's state: they are
          three more reads, one of them the oldest record with its envelope
  ARGV[4..] endpoint ids; none = every endpoint ever synced

  Returns the outbox's length, shed count and the age of its oldest record at now (ms, 0 when empty;
  lib/endpoint.lua outbox_figures), then per endpoint 10 items: id, known ("1"/"0"), enabled
  ("1"/"0"), disabled reason, breaker ("closed"/"open"/"half-open"), open until (""), failing since (""), queued,
  in flight, dead letters waiting in the outbox.
]]

ENDPOINTS_READ_ONLY = true -- a no-writes script: endpoints stored in the old format are read, not rewritten
local now = tonumber(ARGV[2])
local ids = {}
for i = 4, #ARGV do ids[#ids + 1] = ARGV[i] end
if #ids == 0 then
  ids = redis.call("SMEMBERS", K.endpoints)
  table.sort(ids)
end

local out = ARGV[3] == "1" and { outbox_figures(now) } or { 0, 0, 0 }
for _, id in ipairs(ids) do
  local ep = load_endpoint(id)
  if not ep then
    for _, item in ipairs({ id, "0", "0", "", "closed", "", "", 0, 0, 0 }) do out[#out + 1] = item end
  else
    load_breaker(ep)
    local enabled = ep.cfg and ep.en
    local why = ""
    if not ep.cfg then why = "disabled in config" elseif not ep.en then why = ep.why end
    -- openUntil is reported while open and half-open (when the cooldown ended), as the embedded store does.
    local breaker, open_until = "closed", ""
    if ep.br == "half" or (ep.br == "open" and now >= (ep.ou or 0)) then
      breaker = "half-open"
      open_until = ep.ou and tostring(ep.ou) or ""
    elseif ep.br == "open" then
      breaker = "open"
      open_until = tostring(ep.ou)
    end
    local queued = redis.call("ZCARD", K.queue(id)) + (tonumber(redis.call("HGET", K.endpoint(id), "wait") or "") or 0)
    local dead = tonumber(redis.call("HGET", K.outbox_counts, "dead:" .. id) or "0")
    for _, item in ipairs({ id, "1", enabled and "1" or "0", why, breaker, open_until,
      ep.fs and tostring(ep.fs) or "", queued, ep.inf, dead }) do
      out[#out + 1] = item
    end
  end
end
return out
