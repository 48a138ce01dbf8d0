--[[
  take-outbox: the first half of leasing settled-delivery records to a drainer (consumer group "history" on the
  outbox stream): records another drainer took more than `reclaim after` ms ago and never acknowledged (it died,
  or the history store refused them) come back first (XAUTOCLAIM). The store reads new ones with XREADGROUP
  itself, after this call (redis-store.ts takeSettled): passing 500 records of ~1 KB through Lua tables and back
  cost more than the rest of the hand-off. Creates the group (and the stream) when missing: a new deployment, or
  after a FLUSHALL.

  KEYS[1] outbox
  ARGV[1] base key prefix "{prefix}:"
  ARGV[2] consumer (drainer id)
  ARGV[3] most records to take
  ARGV[4] reclaim after (ms)
  ARGV[5] forget idle consumers after (ms); "" = don't look. Every drainer is a consumer of the group (a random
          name per process), so instances that died or restarted would stay in the group forever: after the
          reclaim above has taken their records, other consumers that hold nothing and have not read for this
          long are deleted (XGROUP DELCONSUMER; with nothing pending it loses nothing, and a live drainer that
          was idle is simply created again by its next XREADGROUP).

  Returns a flat list: per reclaimed record its entry id, then its fields as a flat field/value list.
]]

local consumer, max, idle = ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local out = {}

local reclaimed = redis.pcall("XAUTOCLAIM", K.outbox, "history", consumer, idle, "0-0", "COUNT", max)
if type(reclaimed) == "table" and reclaimed.err then
  if not string.find(reclaimed.err, "NOGROUP", 1, true) then return redis.error_reply(reclaimed.err) end
  redis.call("XGROUP", "CREATE", K.outbox, "history", "0", "MKSTREAM")
  reclaimed = { "0-0", {} }
end
for _, entry in ipairs(reclaimed[2]) do
  if entry[2] then
    out[#out + 1] = entry[1]
    out[#out + 1] = entry[2]
  end
end

if ARGV[5] ~= "" then
  local forget_after = tonumber(ARGV[5])
  for _, info in ipairs(redis.call("XINFO", "CONSUMERS", K.outbox, "history")) do
    local fields = {}
    for i = 1, #info, 2 do fields[info[i]] = info[i + 1] end
    if fields.name ~= consumer and tonumber(fields.pending) == 0 and tonumber(fields.idle) >= forget_after then
      redis.call("XGROUP", "DELCONSUMER", K.outbox, "history", fields.name)
    end
  end
end

return out
