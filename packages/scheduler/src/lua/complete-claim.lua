--[[
  complete-claim: complete.lua's settle of a worker's results, then claim.lua's lease for the same worker, in one
  script call. A worker's results ride with its next claim (worker.ts): one EVALSHA instead of two saves Redis a
  command's dispatch, a script start (the prelude's tables and functions) and a reply; at a quiet rate that is most
  of what a claim costs. The settle comes first, so the claim sees the capacity it freed.

  Placed by scripts.ts after the prelude: each part's source as the body of a local function complete_part(ARGV)
  and claim_part(ARGV), which receive their own argument lists.

  KEYS as complete.lua and claim.lua (schedule, leases)
  ARGV[1] base key prefix "{prefix}:"
  ARGV[2] n: how many arguments complete.lua takes after the prefix
  ARGV[3 .. 2 + n] complete.lua's ARGV[2..]
  ARGV[3 + n ..] claim.lua's ARGV[2..]

  Returns { complete.lua's reply, claim.lua's reply }; when the claim part fails after the settle was applied, its
  error takes the place of its reply, so the settle's reply is not lost with it (the store fails the claim alone).
]]

local function part_args(first, last)
  local args = { ARGV[1] }
  for i = first, last do args[#args + 1] = ARGV[i] end
  return args
end

local n = tonumber(ARGV[2])
local completed = complete_part(part_args(3, 2 + n))
local ok, claimed = pcall(claim_part, part_args(3 + n, #ARGV))
if not ok then
  -- A redis.call error is a table with `err`; a Lua error is a string.
  claimed = type(claimed) == "table" and claimed.err and claimed or redis.error_reply(tostring(claimed))
end
return { completed, claimed }
