--[[
  ack-outbox: removes records the history store has stored (XACK + XDEL), drops their delivery's entry in the
  outbox index when it still points at them (a replayed delivery may have settled again since), and counts the
  dead letters among them out of their endpoint's "waiting in the outbox" figure (only when this call removed
  them: a record handed off twice is counted out once).

  KEYS[1] outbox
  ARGV[1] base key prefix "{prefix}:"
  ARGV[2..] triples: entry id, delivery id, endpoint id of a dead letter ("" for a delivered record)

  Returns the number of entries removed.
]]

local delivered, removed, dids = {}, 0, {}
for i = 3, #ARGV, 3 do dids[#dids + 1] = ARGV[i] end
local indexed, forget = {}, {}
in_chunks(dids, function(...)
  for _, entry in ipairs(redis.call("HMGET", K.outbox_ids, ...)) do indexed[#indexed + 1] = entry end
end)
for i = 2, #ARGV, 3 do
  local id, did, dead_ep = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  if indexed[(i + 1) / 3] == id then forget[#forget + 1] = did end
  if dead_ep == "" then
    delivered[#delivered + 1] = id
  else
    redis.call("XACK", K.outbox, "history", id)
    if redis.call("XDEL", K.outbox, id) == 1 then
      removed = removed + 1
      local field = "dead:" .. dead_ep
      if redis.call("HINCRBY", K.outbox_counts, field, -1) <= 0 then redis.call("HDEL", K.outbox_counts, field) end
    end
  end
end
in_chunks(forget, function(...) redis.call("HDEL", K.outbox_ids, ...) end)
in_chunks(delivered, function(...)
  redis.call("XACK", K.outbox, "history", ...)
  removed = removed + redis.call("XDEL", K.outbox, ...)
end)
return removed
