--[[
  outbox-stats: the outbox's figures alone (outboxStats, read by every hand-off every few seconds): one call, and
  three numbers back, where reading the oldest entry from outside would carry its envelope too.

  KEYS[1] outbox
  ARGV[1] base key prefix "{prefix}:"
  ARGV[2] now (ms, store clock)

  Returns { records waiting, delivered records shed, age of the oldest record at now (ms, 0 when empty) }
  (lib/endpoint.lua outbox_figures).
]]

return { outbox_figures(tonumber(ARGV[2])) }
