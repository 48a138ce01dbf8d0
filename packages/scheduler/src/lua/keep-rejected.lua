--[[
  keep-rejected: keeps a message that could not become an event (poison source message, refused ingress
  request), newest first, capped per origin, expiring with the dead-letter retention.

  KEYS[1] the origin's rejected list ({prefix}:rejected:<origin>)
  ARGV[1] base key prefix "{prefix}:"
  ARGV[2] the encoded record (JSON)
  ARGV[3] how many to keep
  ARGV[4] retention (ms)

  Returns the list length.
]]

redis.call("LPUSH", KEYS[1], ARGV[2])
redis.call("LTRIM", KEYS[1], 0, tonumber(ARGV[3]) - 1)
redis.call("PEXPIRE", KEYS[1], tonumber(ARGV[4]))
return redis.call("LLEN", KEYS[1])
