--[[
  take-outbox: the first half of leasing settled-delivery records to a drainer (consumer group "history" on the
  outbox stream): entries another drainer took more than `reclaim after` ms ago and never acknowledged (it died,
  or the history store refused them) come back first (XAUTOCLAIM). The store reads new ones with XREADGROUP
  itself, after this call (redis-store.ts takeSettled): passing 500 records of ~1 KB through Lua tables and back
  cost more than the rest of the hand-off. Creates the group (and the stream) when missing: a new deployment, or
  after a FLUSHALL. The legacy outbox (one record per entry, written by versions before the batched outbox) is
  drained the same way while it holds entries: its group is made sure of too, and its entry ids come back marked
  "old:".

  KEYS[1] outbox
  ARGV[1] base key prefix "{prefix}:"
  ARGV[2] consumer (drainer id)
  ARGV[3] most entries to reclaim (of each stream)
  ARGV[4] reclaim after (ms)
  ARGV[5] forget idle consumers after (ms); "" = don't look. Every drainer is a consumer of the group (a random
          name per process), so instances that died or restarted would stay in the group forever: after the
          reclaim above has taken their records, other consumers that hold nothing and have not read for this
          long are deleted (XGROUP DELCONSUMER; with nothing pending it loses nothing, and a live drainer that
          was idle is simply created again by its next XREADGROUP).

  Returns a flat list: "1" when the legacy outbox holds entries (the store reads it too), else "0"; then per
  reclaimed entry its entry id, then its fields as a flat field/value list.
]]

local consumer, max, idle = ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local legacy = redis.call("XLEN", K.legacy_outbox) > 0
local out = { legacy and "1" or "0" }

-- Reclaims the stream's stale entries into `out` (ids prefixed by `mark`), creating its group when missing.
local function reclaim(stream, mark, create)
  local reclaimed = redis.pcall("XAUTOCLAIM", stream, "history", consumer, idle, "0-0", "COUNT", max)
  if type(reclaimed) == "table" and reclaimed.err then
    if not string.find(reclaimed.err, "NOGROUP", 1, true) then return redis.error_reply(reclaimed.err) end
    redis.call(unpack(create))
    return
  end
  for _, entry in ipairs(reclaimed[2]) do
    if entry[2] then
      out[#out + 1] = mark .. entry[1]
      out[#out + 1] = entry[2]
    end
  end
end

-- Deletes the stream's consumers that hold nothing and have not read for `forget_after` ms (but this one).
local function forget_idle(stream, forget_after)
  for _, info in ipairs(redis.call("XINFO", "CONSUMERS", stream, "history")) do
    local fields = {}
    for i = 1, #info, 2 do fields[info[i]] = info[i + 1] end
    if fields.name ~= consumer and tonumber(fields.pending) == 0 and tonumber(fields.idle) >= forget_after then
      redis.call("XGROUP", "DELCONSUMER", stream, "history", fields.name)
    end
  end
end

local failed = reclaim(K.outbox, "", { "XGROUP", "CREATE", K.outbox, "history", "0", "MKSTREAM" })
if failed then return failed end
if legacy then
  failed = reclaim(K.legacy_outbox, "old:", { "XGROUP", "CREATE", K.legacy_outbox, "history", "0" })
  if failed then return failed end
end

if ARGV[5] ~= "" then
  local forget_after = tonumber(ARGV[5])
  forget_idle(K.outbox, forget_after)
  if legacy then forget_idle(K.legacy_outbox, forget_after) end
end

return out
