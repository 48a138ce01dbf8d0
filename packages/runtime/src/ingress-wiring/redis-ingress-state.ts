import type { DedupClaim, DedupStore, RateLimiter } from "@hookyard/ingress";
import type { Cluster, Redis } from "ioredis";

/*
 * Ingress de-duplication and rate limits shared by every Hookyard instance on one Redis. Each operation is one
 * single-key Lua script (atomic, one round trip, and fine on Redis Cluster since it touches one key).
 */

// KEYS[1] dedup key; ARGV[1] lease ms. Returns first | accepted | in-flight.
const CLAIM = `
local value = redis.call("GET", KEYS[1])
if not value then
  redis.call("SET", KEYS[1], "pending", "PX", ARGV[1])
  return "first"
end
if value == "done" then return "accepted" end
return "in-flight"`;

// KEYS[1] dedup key. Forgets a claim that is still pending (never an accepted one).
const RELEASE = `
if redis.call("GET", KEYS[1]) == "pending" then redis.call("DEL", KEYS[1]) end
return 0`;

// KEYS[1] bucket; ARGV[1] rate per second, ARGV[2] burst. Token bucket on Redis's clock (instances' clocks
// may differ). Returns { 1, 0 } when allowed, { 0, ms until a token } when not.
const TAKE = `
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local time = redis.call("TIME")
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local state = redis.call("HMGET", KEYS[1], "tokens", "at")
local tokens = tonumber(state[1]) or burst
local at = tonumber(state[2]) or now
tokens = math.min(burst, tokens + (now - at) * rate / 1000)
local allowed = 0
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
else
  wait = math.ceil((1 - tokens) * 1000 / rate)
end
redis.call("HSET", KEYS[1], "tokens", tostring(tokens), "at", now)
redis.call("PEXPIRE", KEYS[1], math.ceil(burst * 1000 / rate) + 1000)
return { allowed, wait }`;

interface IngressCommands {
  hyIngressClaim(key: string, leaseMs: number): Promise<DedupClaim>;
  hyIngressRelease(key: string): Promise<number>;
  hyIngressTake(key: string, rate: number, burst: number): Promise<[number, number]>;
}

export function createRedisIngressState(
  client: Redis | Cluster,
  prefix: string,
): { dedup: DedupStore; limiter: RateLimiter } {
  client.defineCommand("hyIngressClaim", { numberOfKeys: 1, lua: CLAIM });
  client.defineCommand("hyIngressRelease", { numberOfKeys: 1, lua: RELEASE });
  client.defineCommand("hyIngressTake", { numberOfKeys: 1, lua: TAKE });
  const commands = client as unknown as IngressCommands;
  const dedupKey = (key: string) => `${prefix}:ingress:dedup:${key}`;
  return {
    dedup: {
      claim: (key, leaseMs) => commands.hyIngressClaim(dedupKey(key), leaseMs),
      async complete(key, ttlMs) {
        await client.set(dedupKey(key), "done", "PX", ttlMs);
      },
      async release(key) {
        await commands.hyIngressRelease(dedupKey(key));
      },
    },
    limiter: {
      async take(key, ratePerSecond, burst) {
        const [allowed, wait] = await commands.hyIngressTake(`${prefix}:ingress:rate:${key}`, ratePerSecond, burst);
        return { ok: allowed === 1, retryAfterMs: wait };
      },
    },
  };
}
