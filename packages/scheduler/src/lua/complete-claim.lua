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

  Returns { complete.lua's reply, claim.lua's reply }.
]]

local function part_args(first, last)
  local args = { ARGV[1] }
  for i = first, last do args[#args + 1] = ARGV[i] end
  return args
end

local n = tonumber(ARGV[2])
local completed = complete_part(part_args(3, 2 + n))
return { completed, claim_part(part_args(3 + n, #ARGV)) }
