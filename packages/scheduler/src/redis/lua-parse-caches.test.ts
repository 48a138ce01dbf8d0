import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, describe, it } from "node:test";
import { requireBrokers, uniqueName } from "@hookyard/test-brokers";
import { Redis } from "ioredis";
import { LUA_KEY_FUNCTIONS } from "./keys.js";

const brokers = requireBrokers("redis");
const admin = new Redis(brokers.redisUrl);
after(async () => {
  await admin.quit();
});

/** The scripts' shared prelude, as scripts.ts puts it in front of every script. */
function prelude(): string {
  const lua = (file: string) => readFileSync(new URL(`../lua/${file}`, import.meta.url), "utf8");
  return [LUA_KEY_FUNCTIONS, lua("lib/endpoint.lua"), lua("lib/delivery.lua"), lua("lib/call.lua")].join("\n");
}

// Loaded as a Function library, the prelude keeps parsed endpoint states by their packed string, and a save adds the
// values it packed without parsing them; a claim does the same with the leased states it writes. Those values must
// be what parsing the string gives, or the next script reads an endpoint or delivery differently depending on
// whether its state was cached. Each write below is checked against a parse with the caches emptied.
const CHECK = `
local mismatches = {}
local function check(step, ep)
  local cached = STATES[ep.stored]
  if not cached then
    mismatches[#mismatches + 1] = step .. ": not cached"
    return
  end
  STATES, OLD_STATES, STATE_COUNT = {}, {}, 0
  local parsed = parse_state(ep.stored)
  for i = 1, 12 do
    if cached[i] ~= parsed[i] then
      mismatches[#mismatches + 1] = step .. ": value " .. i .. " cached " .. tostring(cached[i]) .. ", parsed "
        .. tostring(parsed[i])
    end
  end
  STATES[ep.stored] = cached -- as the script left it
end

begin_call(ARGV[1])
local id, now = ARGV[2], 1733000000000
-- conc|rps|burst|ord|bw|bmin|brate|bcool|bdis|cfg|dmsg: 3 per second (a fractional emission interval), a breaker
-- opening after 2 failures of 2, disabling after 5 s, a reason with "|" in it.
redis.call("HSET", K.endpoint(id), "pol", "5|3|2|0|60000|2|0.5|30000|5000|1|failing | for long", "st", EP_NEW_STATE)

local ep = load_endpoint(id)
ep.inf = ep.inf + 1
ep.tat = math.max(ep.tat or now, now) + emission_interval(ep)
save_endpoint(ep)
check("leased under a rate limit", ep)

ep = load_endpoint(id)
ep.inf = ep.inf - 1
record_result(ep, false, false, now + 10)
save_endpoint(ep)
check("one failure counted", ep)

ep = load_endpoint(id)
ep.pu = now + 1500.5
record_result(ep, false, false, now + 20)
save_endpoint(ep)
check("breaker opened, throttled", ep)

ep = load_endpoint(id)
ep.br, ep.probe, ep.inf = "half", true, 1
save_endpoint(ep)
check("half-open probe in flight", ep)

ep = load_endpoint(id)
ep.inf = 0
record_result(ep, false, true, now + 6000)
save_endpoint(ep)
check("probe failed, disabled for failing", ep)

ep = load_endpoint(id)
load_breaker(ep)
ep.en, ep.why, ep.br, ep.ou, ep.probe, ep.ws, ep.wok, ep.wfail, ep.fs, ep.pu = true, "", "closed", nil, false, now, 0,
  0, nil, nil
save_endpoint(ep)
check("enabled again", ep)

redis.call("DEL", K.endpoint(id))

-- A leased state as a claim writes it, read as a settle reads it: from the cache, then parsed.
local FIELDS = { "st", "a", "t", "lg", "p", "lease", "ft", "c", "m", "ep", "w" }
local function check_lease(step, ...)
  local dk = K.delivery("d-1")
  redis.call("HSET", dk, "s", leased_state(...))
  local cached = read_delivery(dk)
  LEASED, OLD_LEASED, LEASED_COUNT = {}, {}, 0
  local parsed = read_delivery(dk)
  for _, f in ipairs(FIELDS) do
    if cached[f] ~= parsed[f] then
      mismatches[#mismatches + 1] = step .. ": " .. f .. " cached " .. tostring(cached[f]) .. ", parsed "
        .. tostring(parsed[f])
    end
  end
  redis.call("DEL", dk)
end
check_lease("first attempt", "1", "", "", "", "1733000030000", "01JE5.1", "1733000000000", "01JE4", "ep-1", "w-1")
check_lease("retried, throttled, probe", "3", "2", "1", "1", "1733000030000", "01JE6.12", "1733000000000", "01JE4",
  "ep|with|bars", "worker|with|bars")
return mismatches
`;

describe("the scripts' parse caches", () => {
  it("keep the endpoint and delivery states scripts wrote as parsing the stored strings reads them", async () => {
    const base = `{${uniqueName("hyc")}}:`;
    const mismatches = await admin.eval(`${prelude()}\n${CHECK}`, 0, base, "ep-1");
    assert.deepEqual(mismatches, []);
  });
});
