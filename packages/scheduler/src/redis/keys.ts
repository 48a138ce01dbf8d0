import { HookyardError } from "@hookyard/core";
import { shardTag } from "./shard-of.js";

/**
 * Every Redis key of the scheduler is built here: the TypeScript builders below and, for the keys a Lua script
 * derives at run time (per endpoint, per delivery), the Lua functions in `LUA_KEY_FUNCTIONS`, kept side by side so
 * they cannot drift (a test compares them).
 *
 * All keys start with `{<prefix>}:`: the prefix is the hash tag, so every key of one store hashes to one slot and
 * each script touches a single slot, on standalone Redis and on Redis Cluster alike. Scripts receive the base
 * (`{hy}:`) as ARGV[1] and derive per-endpoint and per-delivery keys from it; Redis Cluster accepts keys not
 * declared in KEYS as long as they live in the slot of the declared ones, which the shared tag guarantees.
 *
 * Sharding (`redis.shards` N > 1, sharded-redis-store.ts): shard i has the base `{hy:i}:` (or `{hy:i.n}:`, the
 * first such tag in the i-th N-th of the cluster slots: shardTag in shard-of.ts) and the same data model;
 * an endpoint's keys live on shard `shardOf(endpoint id, N)`, a dedup key's deciding record on
 * `shardOf(dedup key, N)`; `{hy}:meta` records N.
 *
 * Data model (`{hy}:` stands for the base):
 * - `{hy}:schedule`          zset  endpoint id → time the endpoint may next lease (absent: nothing to do, or
 *                                   waiting for an event: disabled, concurrency full, probe in flight)
 * - `{hy}:leases`            zset  delivery id → lease expiry
 * - `{hy}:endpoints`         set   every endpoint id ever synced (stats)
 * - `{hy}:wake`              shard channel (SPUBLISH, carries the tag: stays on its shard), when work becomes due
 * - `{hy}:idle`              hash  worker id → "<expires>|<room>|<lease ms>|<endpoint room>[|r]": a worker waiting for
 *                                   work that takes pushed leases (written by its claims, see claim.lua)
 * - `{hy}:idle:<worker>`     hash  endpoint id → that worker's room for it, for the endpoints its last claim listed
 *                                   (slow, stuck, over its share); its idle entry ends in "|r" then; PEXPIREd with it
 * - `{hy}:push:<worker>`     shard channel: leases the enqueue made for that idle worker (see enqueue.lua)
 * - `{hy}:ep:<ep>`           hash  pol (policy: conc|rps|burst|ord|bw|bmin|brate|bcool|bdis|cfg|dmsg), st (state:
 *                                   en|inf|tat|br|ou|probe|ws|wok|wfail|fs|pu|why), wait (see lib/endpoint.lua)
 * - `{hy}:queue:<ep>`        zset  delivery id → due time (queued deliveries; under per-key order only the head
 *                                   of each key's line)
 * - `{hy}:heads:<ep>`        hash  ordering key → delivery id at the head of that key's line
 * - `{hy}:line:<n>:<ep>:<k>` list  delivery ids waiting behind the head of key k (n = byte length of ep, so ids
 *                                   containing ":" cannot collide)
 * - `{hy}:msg:<id>`          hash  env (encoded envelope), refs (deliveries not yet settled); deleted when refs
 *                                   reaches 0. Only for messages fanned out to several endpoints.
 * - `{hy}:dlv:<id>`          hash  s (state: st|a|t|lg|p|lease|ft|c|m|<#ep>|<ep><w>, see lib/delivery.lua),
 *                                   k (ordering key), and for a message with one delivery either env (the envelope
 *                                   inline, saving a key and its bookkeeping) or x = "1" (its envelope is in
 *                                   `{hy}:envelopes`); deleted when the delivery settles
 * - `{hy}:envelopes`         hash  delivery id → envelope, for messages of one delivery enqueued in a batch of 8 or
 *                                   more under storage format 2: written ahead of the enqueue script with one HSET
 *                                   per call, read outside Lua by claims and outbox takes, kept past the settle
 *                                   (the outbox record says "ex") until the record is stored (ack-outbox.lua).
 *                                   An envelope that enters Lua costs Redis ~11 instructions per byte to intern
 * - `{hy}:format`            string the storage format the data may be written in: absent or "1", every version
 *                                   since the packed formats reads it; "2", `{hy}:envelopes` is used. Set to "2" by
 *                                   the first endpoint sync of an empty store, or by `hookyard storage-format
 *                                   --upgrade` once no instance of an older version runs (storage-format.ts)
 * - `{hy}:log:<id>`          list  attempt records of a live delivery, newest first, capped (LPUSH + LTRIM);
 *                                   deleted with the delivery
 * - `{hy}:dedup:<key>`       string "<expiresAt>|<first result as JSON>", PX the dedup TTL
 * - `{hy}:rejected:<origin>` list  rejected messages (JSON, payload base64), newest first, capped, PEXPIREd
 * The hand-off to the history tier:
 * - `{hy}:outbox:batched`    stream settled deliveries' records, read by the consumer group "history" (XREADGROUP /
 *                                   XAUTOCLAIM), XACK + XDEL once stored. A record is h = st|a|c|s|d|m|ep (s = settled
 *                                   at), env, log (JSON array of attempts, newest first) or at (a first try's one
 *                                   attempt) and, when dead, why; an entry
 *                                   holds up to 16 delivered records, their fields one after the other, or one dead
 *                                   letter (lib/endpoint.lua outbox_add)
 * - `{hy}:outbox`            stream the legacy outbox: one entry per record, written by versions before the batched
 *                                   one; drained with it (takeSettled), never written
 * - `{hy}:outbox:counts`     hash  shed (delivered records dropped while the outbox was full), dead:<ep> (dead
 *                                   letters of ep waiting in the outbox)
 * - `{hy}:outbox:ids`        hash  delivery id → its newest outbox entry id, so a delivery that settled but is not yet
 *                                   in the history store can still be read (`findSettled`); removed on ack. Its
 *                                   length is the number of records waiting
 */
export interface RedisKeys {
  /** `{prefix}:`, passed to every script as ARGV[1]. */
  readonly base: string;
  readonly schedule: string;
  readonly leases: string;
  readonly endpoints: string;
  readonly wakeChannel: string;
  pushChannel(workerId: string): string;
  endpoint(endpointId: string): string;
  queue(endpointId: string): string;
  heads(endpointId: string): string;
  line(endpointId: string, orderingKey: string): string;
  message(messageId: string): string;
  delivery(deliveryId: string): string;
  attempts(deliveryId: string): string;
  dedup(dedupKey: string): string;
  rejected(origin: string): string;
  readonly outbox: string;
  readonly legacyOutbox: string;
  readonly outboxCounts: string;
  readonly outboxIds: string;
  readonly format: string;
  readonly envelopes: string;
}

const PREFIX_PATTERN = /^[A-Za-z0-9:._-]{1,64}$/;

/** Which of a sharded store's shards the keys belong to (`redis.shards`). */
export interface ShardPosition {
  readonly index: number;
  readonly count: number;
}

/**
 * The keys of one store, or of one shard of a sharded store. With one shard the hash tag is `{<prefix>}` (what
 * every deployment before sharding has); shard i of N > 1 uses `{<prefix>:i}` (or `{<prefix>:i.n}`, see
 * `shardTag`: evenly spaced slots), a tag of its own, so the shards spread over the Redis Cluster's masters.
 */
export function createRedisKeys(prefix = "hy", shard: ShardPosition = { index: 0, count: 1 }): RedisKeys {
  if (!PREFIX_PATTERN.test(prefix)) {
    throw new HookyardError(
      "CONFIG_INVALID",
      `redis key prefix must match ${PREFIX_PATTERN}: ${JSON.stringify(prefix)}`,
    );
  }
  const base = shard.count > 1 ? `{${shardTag(prefix, shard.index, shard.count)}}:` : `{${prefix}}:`;
  return {
    base,
    schedule: `${base}schedule`,
    leases: `${base}leases`,
    endpoints: `${base}endpoints`,
    wakeChannel: `${base}wake`,
    pushChannel: (workerId) => `${base}push:${workerId}`,
    endpoint: (id) => `${base}ep:${id}`,
    queue: (id) => `${base}queue:${id}`,
    heads: (id) => `${base}heads:${id}`,
    line: (id, key) => `${base}line:${Buffer.byteLength(id)}:${id}:${key}`,
    message: (id) => `${base}msg:${id}`,
    delivery: (id) => `${base}dlv:${id}`,
    attempts: (id) => `${base}log:${id}`,
    dedup: (key) => `${base}dedup:${key}`,
    rejected: (origin) => `${base}rejected:${origin}`,
    outbox: `${base}outbox:batched`,
    legacyOutbox: `${base}outbox`,
    outboxCounts: `${base}outbox:counts`,
    outboxIds: `${base}outbox:ids`,
    format: `${base}format`,
    envelopes: `${base}envelopes`,
  };
}

/**
 * `{<prefix>}:meta` (hash, field `shards`): the shard count the data was written with, checked at start-up
 * (shard-count.ts). It keeps the unsharded tag whatever the shard count, so it is found before the count is known.
 */
export function metaKey(prefix: string): string {
  return `{${prefix}}:meta`;
}

/**
 * The same builders in Lua, placed before the scripts' shared helpers; keep in step with the above. `use_base` sets
 * the base (ARGV[1]) at the start of every script call: loaded as a Redis Function library, these locals outlive a
 * call and one library serves every store prefix.
 */
export const LUA_KEY_FUNCTIONS = `
local BASE
local K = {}
local function use_base(base)
  BASE = base
  K.schedule = base .. "schedule"
  K.leases = base .. "leases"
  K.endpoints = base .. "endpoints"
  K.wake = base .. "wake"
  K.idle = base .. "idle"
  K.outbox = base .. "outbox:batched"
  K.legacy_outbox = base .. "outbox"
  K.outbox_counts = base .. "outbox:counts"
  K.outbox_ids = base .. "outbox:ids"
  K.format = base .. "format"
  K.envelopes = base .. "envelopes"
end
function K.endpoint(id) return BASE .. "ep:" .. id end
function K.queue(id) return BASE .. "queue:" .. id end
function K.heads(id) return BASE .. "heads:" .. id end
function K.line(id, key) return BASE .. "line:" .. #id .. ":" .. id .. ":" .. key end
function K.message(id) return BASE .. "msg:" .. id end
function K.delivery(id) return BASE .. "dlv:" .. id end
function K.attempts(id) return BASE .. "log:" .. id end
function K.dedup(key) return BASE .. "dedup:" .. key end
function K.rejected(origin) return BASE .. "rejected:" .. origin end
function K.push(worker) return BASE .. "push:" .. worker end
function K.idle_rooms(worker) return BASE .. "idle:" .. worker end
`;
