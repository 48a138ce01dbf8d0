--[[
  time: the Redis server's clock, read on the master of the store's slot (the clock every instance's scheduling
  times are measured against, see redis-clock.ts).

  KEYS[1] schedule (routes the call to the store's slot)
  ARGV[1] base key prefix "{prefix}:"

  Returns { seconds, microseconds } as TIME does.
]]

return redis.call("TIME")
