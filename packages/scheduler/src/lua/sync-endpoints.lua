--[[
  sync-endpoints: makes endpoints and their policies known. Policy fields are overwritten; runtime state
  (breaker, runtime disable, counters) is kept; a new endpoint starts enabled with a closed breaker. Each
  endpoint is then rescheduled, since a policy change (more concurrency, re-enabled in config) can make queued
  work eligible.

  KEYS[1] schedule
  ARGV[1] base key prefix "{prefix}:"
  ARGV[2..] groups of 12: endpoint id, concurrency, rate per second (0 = unlimited), rate burst, ordered by key
            (1/0), breaker window ms, breaker min requests, breaker failure rate, breaker cooldown ms, breaker
            disable-after ms (0 = never), reason text when disabled for failing, enabled in config (1/0)

  Returns { the number of endpoints synced, the storage format (the caller learns it: see enqueue.lua) }.
]]

-- An empty store (a new deployment, or one Redis lost) holds nothing an older version could misread: it starts in
-- the newest storage format (keys.ts, `{hy}:format`). A store with endpoints keeps its format until an operator
-- upgrades it (`hookyard storage-format --upgrade`), as an older instance may still be running against it.
if redis.call("EXISTS", K.format) == 0 and redis.call("EXISTS", K.endpoints) == 0 then
  redis.call("SET", K.format, NEWEST_FORMAT)
end

-- Syncing has no caller clock: an endpoint is scheduled at the due time of its queue's head.
local woken, count = 0, 0
for i = 2, #ARGV, 12 do
  local id = ARGV[i]
  local ek = K.endpoint(id)
  -- An endpoint stored before the packed format keeps its state (see upgrade_endpoint).
  if redis.call("HEXISTS", ek, "pol") == 0 then read_old_endpoint(ek) end
  -- pol: conc|rps|burst|ord|bw|bmin|brate|bcool|bdis|cfg|dmsg (see lib/endpoint.lua)
  redis.call("HSET", ek, "pol", table.concat({ ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], ARGV[i + 4], ARGV[i + 5],
    ARGV[i + 6], ARGV[i + 7], ARGV[i + 8], ARGV[i + 9], ARGV[i + 11], ARGV[i + 10] }, "|"))
  if redis.call("HSETNX", ek, "st", EP_NEW_STATE) == 1 then redis.call("HSETNX", ek, "wait", 0) end
  redis.call("SADD", K.endpoints, id)
  local ep = load_endpoint(id)
  woken = woken + reschedule(ep, 0)
  count = count + 1
end
if woken > 0 then redis.call("SPUBLISH", K.wake, "sync") end
return { count, redis.call("GET", K.format) or "1" }
