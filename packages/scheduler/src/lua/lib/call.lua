--[[
  The start of every script call (scripts.ts places it first in each script's function). Loaded as a Redis Function
  library, the helpers' locals live as long as the library, not one call: what a call may have changed goes back to
  its start here. (Run by EVALSHA, the whole source runs again per call; this is then a no-op in effect.)
  INT_STRINGS (lib/endpoint.lua) is left as it is: formatted small integers stay right from call to call.
]]
local function begin_call(base)
  use_base(base)
  ENDPOINTS_READ_ONLY = false
  OUTBOX.len, OUTBOX.shed, OUTBOX.ids, OUTBOX.dids, OUTBOX.fields, OUTBOX.bytes = nil, 0, {}, {}, {}, 0
  OUTBOX.shed_envelopes = {}
end
