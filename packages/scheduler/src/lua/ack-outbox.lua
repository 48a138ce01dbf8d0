--[[
  ack-outbox: removes records the history store has stored (XACK + XDEL of their entries: a batched entry goes once
  all its records are named, which the store's takes guarantee by never splitting one), drops their delivery's
  entry in the outbox index when it still points at them (a replayed delivery may have settled again since), and
  counts the dead letters among them out of their endpoint's "waiting in the outbox" figure (only when this call
  removed them: a record handed off twice is counted out once), and deletes their envelopes kept in
  `{hy}:envelopes`. A dead letter has an entry of its own.

  KEYS[1] outbox
  ARGV[1] base key prefix "{prefix}:"
  ARGV[2..] triples: entry id ("old:<id>" for the legacy outbox), delivery id, endpoint id of a dead letter (""
            for a delivered record)

  Returns the number of entries removed.
]]

local removed, dids = 0, {}
for i = 3, #ARGV, 3 do dids[#dids + 1] = ARGV[i] end
local indexed, forget = {}, {}
in_chunks(dids, function(...)
  for _, entry in ipairs(redis.call("HMGET", K.outbox_ids, ...)) do indexed[#indexed + 1] = entry end
end)
-- Delivered records' entries per stream, each once.
local delivered = { [K.outbox] = {}, [K.legacy_outbox] = {} }
local seen = {}
for i = 2, #ARGV, 3 do
  local id, did, dead_ep = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  local stream = K.outbox
  if string.sub(id, 1, 4) == "old:" then stream, id = K.legacy_outbox, string.sub(id, 5) end
  if indexed[(i + 1) / 3] == id then forget[#forget + 1] = did end
  if dead_ep == "" then
    if not seen[ARGV[i]] then
      seen[ARGV[i]] = true
      local list = delivered[stream]
      list[#list + 1] = id
    end
  else
    redis.call("XACK", stream, "history", id)
    if redis.call("XDEL", stream, id) == 1 then
      removed = removed + 1
      local field = "dead:" .. dead_ep
      if redis.call("HINCRBY", K.outbox_counts, field, -1) <= 0 then redis.call("HDEL", K.outbox_counts, field) end
    end
  end
end
in_chunks(forget, function(...) redis.call("HDEL", K.outbox_ids, ...) end)
-- Envelopes kept in `{hy}:envelopes` for these records (ex): stored with them now. A delivery id there names no
-- other record: only new deliveries' envelopes go there, and a replay (requeue.lua) keeps its envelope inline.
in_chunks(dids, function(...) redis.call("HDEL", K.envelopes, ...) end)
for stream, ids in pairs(delivered) do
  in_chunks(ids, function(...)
    redis.call("XACK", stream, "history", ...)
    removed = removed + redis.call("XDEL", stream, ...)
  end)
end
return removed
