import { type AttemptRecord, decodeEnvelope, type Endpoint, encodeEnvelope, HookyardError } from "@hookyard/core";
import { Cluster } from "ioredis";
import { type Clock, systemClock } from "../clock.js";
import { createIdFactory } from "../embedded/ids.js";
import type { SchedulerLogger } from "../logger.js";
import { decodeRejected, encodeRejected } from "../rejected-log.js";
import { createSchedulerEventHub, type SchedulerEvent } from "../scheduler-events.js";
import {
  type ClaimedDelivery,
  type ClaimRequest,
  type ClaimResult,
  type CompleteReport,
  type CompletionResult,
  DEFAULT_OUTBOX_MAX_RECORDS,
  type DeliveryInfo,
  type DeliveryStatus,
  type EndpointState,
  type EnqueueRequest,
  type EnqueueResult,
  MAX_ATTEMPTS_LOGGED,
  type OutboxStats,
  REJECTED_KEPT_PER_ORIGIN,
  REJECTED_RETENTION_MS,
  type SchedulerStats,
  type SchedulerStore,
  type SettledEntry,
  type StoreOutboxOptions,
} from "../store.js";
import { createCallBatcher } from "./call-batcher.js";
import { type ClusterIntake, createClusterIntake } from "./cluster-intake.js";
import { closeClient, openClient, type RedisClient, type RedisConnection, whenReady } from "./connection.js";
import { type AckDurability, checkServer } from "./durability.js";
import { createEnvelopeReuse } from "./envelope-reuse.js";
import { createRedisKeys, type RedisKeys } from "./keys.js";
import {
  decodeLeaseHeads,
  decodePushedLeases,
  type LeaseHead,
  leasedDelivery,
  readLeasedEnvelopes,
} from "./lease-replies.js";
import {
  createTakeSizer,
  externalEnvelopeIds,
  type OutboxRecordFields,
  readOutboxRecords,
  settledEntries,
} from "./outbox-records.js";
import { createRedisClock, type RedisClock } from "./redis-clock.js";
import { redisUnavailable, translateRedisError } from "./redis-errors.js";
import { createReplicationWaiter, type ReplicationWaiter } from "./replication-waiter.js";
import { createRidingCompletes } from "./riding-completes.js";
import { createScriptRunner } from "./script-runner.js";
import type { RedisCommand, ScriptArg, ScriptName } from "./scripts.js";
import { checkShardCount } from "./shard-count.js";
import { createShardedRedisStore } from "./sharded-redis-store.js";
import {
  createStorageFormatState,
  ENVELOPE_EXTERNAL,
  readStorageFormat,
  type StorageFormatReport,
  upgradeStorageFormat,
} from "./storage-format.js";
import { createWakeSubscriber, type WakeSubscriber, wakeTime } from "./wake-subscriber.js";
import { createWriteCoalescer } from "./write-coalescer.js";

export interface RedisStoreOptions extends StoreOutboxOptions {
  /**
   * An ioredis client (standalone or Cluster) the store uses and leaves open on close, or how to connect: a
   * `redis://` URL or `{ clusterNodes }`, in which case the store owns the client and fails fast while Redis
   * is unreachable.
   */
  readonly redis: RedisConnection;
  /** Key prefix, also the hash tag of every key (`{hy}:…`; `{hy:i}:…` for shard i when sharded). Default "hy". */
  readonly prefix?: string;
  /**
   * Scheduler shards (default 1): each has its own hash tag, so on Redis Cluster the load spreads over the
   * masters. Fixed for the life of the data: `checkServer()` refuses a count other than the stored one.
   */
  readonly shards?: number;
  readonly logger?: SchedulerLogger;
  /** How long a call waits for a connecting client before failing with REDIS_UNAVAILABLE. Default 1000 ms. */
  readonly connectWaitMs?: number;
  /** Per-command timeout of a client the store creates. Default 10 000 ms. */
  readonly commandTimeoutMs?: number;
  /** What an acknowledged enqueue promises (see `AckDurabilityMode`). Default `{ mode: "everysec" }`. */
  readonly durability?: AckDurability;
  /** `checkServer()` warns instead of refusing when a setting cannot be read (managed Redis). Default false. */
  readonly unverifiedConfig?: boolean;
  /** This instance's clock, corrected to Redis time by `clock` (tests inject a skewed one). Default systemClock. */
  readonly localClock?: Clock;
  /** How often `clock` measures its offset to Redis time again. Default 30 000 ms. */
  readonly clockSyncMs?: number;
}

/** The Redis store: a `SchedulerStore` plus the start-up durability check. */
export interface RedisSchedulerStore extends SchedulerStore {
  readonly keys: RedisKeys;
  /** The client the store uses, for companions that keep their own keys under the same hash tag (admin). */
  readonly client: RedisClient;
  /**
   * The start-up check of every master: throws `CONFIG_INVALID` naming the setting when Redis could lose
   * acknowledged events (evicting `maxmemory-policy`, Redis < 7, `always` without `appendfsync always`, …);
   * resolves with warnings to log for what is weaker than promised. Call it before accepting events.
   */
  checkServer(): Promise<readonly string[]>;
  /** The storage format of the data (of each shard: the oldest) and the newest this version writes (storage-format.ts). */
  storageFormat(): Promise<StorageFormatReport>;
  /**
   * Moves the data to this version's newest storage format, once no instance of an older version runs against it
   * (`hookyard storage-format --upgrade`); running instances follow with their next enqueue.
   */
  upgradeStorageFormat(): Promise<StorageFormatReport>;
  /**
   * Redis time (one clock): the local clock plus an offset measured with TIME and refreshed periodically. Every
   * instance sharing the store should take the `now` of its store calls (and its worker's clock) from here, so
   * a skewed host clock shifts neither schedules nor leases. `clock.sync()` measures at once (start-up).
   */
  readonly clock: RedisClock;
}

/**
 * One shard of a sharded store (sharded-redis-store.ts): the store plus what the composition needs: a claim
 * that also reports the shard's earliest lease expiry, and an enqueue with ids chosen by the caller.
 */
export interface RedisShard extends RedisSchedulerStore {
  claimShard(request: ClaimRequest): Promise<ShardClaimResult>;
  /** `stats()` at `now`: a sharded store reads every shard at one time of its own clock (the outbox's age). */
  statsAt(now: number): Promise<SchedulerStats>;
  /** Enqueues with the given ids; a dedup record stores `record` (JSON) as the first result. */
  enqueuePart(request: EnqueueRequest, preset: PresetIds): Promise<PartResult>;
}

export interface ShardClaimResult extends ClaimResult {
  /** The earliest lease expiry on the shard (any worker's), when it has leases. */
  readonly leaseDueAt?: number;
  /** The shard's earliest schedule entry for any worker (`nextDueAt` leaves out endpoints this one has no room for). */
  readonly scheduleDueAt?: number;
}

export interface PresetIds {
  readonly messageId: string;
  readonly deliveryIds: readonly string[];
  readonly record: string;
  /** The ids are a first call's (a duplicate's re-run): their keys may be live, so nothing is written ahead. */
  readonly reused?: true;
}

/** An enqueue result; a duplicate also carries the endpoint ids its first result recorded (sharded stores). */
export interface PartResult extends EnqueueResult {
  readonly endpointIds?: readonly string[];
}

/** How a sharded store builds a shard: its keys, and the wake subscriber (and Cluster intake) all shards share. */
export interface ShardWiring {
  readonly keys: RedisKeys;
  readonly wake: WakeSubscriber;
  readonly clusterIntake?: ClusterIntake;
  /** The sharded store's one clock (the first shard's); a shard given it neither refreshes nor closes it. */
  readonly clock?: RedisClock;
}

const MAX_CLAIM = 1000;
/**
 * An enqueue call of at least this many messages writes those of their envelopes of at least this many characters
 * ahead of the script (see enqueueScript). Measured (bench/README.md, "Twelfth pass"): each such HSET costs the
 * enqueuing process ~20–30 µs of CPU (one more ioredis command in a transaction) and saves Redis ~2 µs per KiB of
 * envelope (~11 instructions per byte of Lua interning), so it pays from ~16 KiB.
 */
const ENVELOPES_AHEAD_MIN = 8;
/** Where a message's encoded envelope sits in its enqueue record (enqueue.lua: now, message id, envelope, ...). */
const ENVELOPE_ARG = 2;
export const ENVELOPE_AHEAD_MIN_BYTES = 16 * 1024;
const NO_LOGGER: SchedulerLogger = { debug() {}, info() {}, warn() {}, error() {} };

/**
 * The durable scheduler store on Redis (7.0+) or Redis Cluster. Lua scripts (src/lua, one per operation) are the
 * only writers; keys come from keys.ts. A successful delivery costs one claim and one complete round trip
 * (both batched; a complete made in the same turn as its worker's next claim rides in that claim's script call,
 * see riding-completes.ts). When a script finds an endpoint's policy missing (a FLUSHALL, a restart without persistence),
 * the store re-syncs it from the endpoints it was last given and carries on.
 */
export function createRedisStore(options: RedisStoreOptions): RedisSchedulerStore {
  const shards = options.shards ?? 1;
  if (!Number.isInteger(shards) || shards < 1 || shards > 1024) {
    throw new HookyardError("CONFIG_INVALID", `redis shards must be an integer from 1 to 1024, not ${shards}`);
  }
  return shards > 1 ? createShardedRedisStore(options, shards) : createRedisShard(options);
}

/** A single-shard store, or (given `wiring`) one shard of a sharded store, on a client the sharded store owns. */
export function createRedisShard(options: RedisStoreOptions, wiring?: ShardWiring): RedisShard {
  const keys = wiring?.keys ?? createRedisKeys(options.prefix);
  const logger = options.logger ?? NO_LOGGER;
  const outboxMaxRecords = Math.max(1, Math.floor(options.outboxMaxRecords ?? DEFAULT_OUTBOX_MAX_RECORDS));
  const settledListeners = new Set<() => void>();
  const events = createSchedulerEventHub(logger);
  const connectWaitMs = options.connectWaitMs ?? 1000;
  const { client, owned } = openClient(options.redis, options.commandTimeoutMs ?? 10_000);
  if (owned) client.on("error", (error: Error) => logger.debug({ err: error }, "redis connection error"));
  const runScript = createScriptRunner(client, logger);
  const coalesceWrites = createWriteCoalescer(client);
  const durability = options.durability ?? { mode: "everysec" };
  let waitAof = false;
  // replicated: enqueues run on a connection of their own, followed by WAIT (which blocks that connection).
  const intake = durability.mode === "replicated" && !(client instanceof Cluster) ? client.duplicate() : undefined;
  if (intake) intake.on("error", (error: Error) => logger.debug({ err: error }, "redis connection error"));
  const runIntakeScript = intake ? createScriptRunner(intake, logger) : runScript;
  const replication: ReplicationWaiter | undefined = intake
    ? createReplicationWaiter({
        connection: intake,
        replicas: durability.replicas ?? 1,
        timeoutMs: durability.timeoutMs ?? 1000,
        waitAof: () => waitAof,
      })
    : undefined;
  const ownIntake = !wiring?.clusterIntake;
  const clusterIntake = wiring?.clusterIntake ?? openClusterIntake(client, durability, connectWaitMs, logger);
  const wake = wiring?.wake ?? createWakeSubscriber(client, [keys.wakeChannel], logger);
  const ownClock = !wiring?.clock;
  const clock =
    wiring?.clock ??
    createRedisClock({
      local: options.localClock ?? systemClock,
      logger,
      refreshMs: options.clockSyncMs ?? 30_000,
      readServerTime: async () => (await run("time", [keys.schedule], [])) as [string, string],
    });
  const nextId = createIdFactory();
  const riding = createRidingCompletes();
  const envelopes = createEnvelopeReuse();
  const format = createStorageFormatState();
  /** Workers of this process that take pushed leases: how long each waits registered (claim.lua ARGV[8]). */
  const pushes = new Map<string, PushEntry>();
  /** The endpoints last synced, to restore their policies when Redis lost them. */
  const known = new Map<string, Endpoint>();
  let closed = false;

  async function ready(): Promise<void> {
    if (closed) throw new HookyardError("STORE_CLOSED", "the scheduler store is closed");
    await whenReady(client, connectWaitMs);
    const subscribing = wake.subscribing();
    if (subscribing) await withTimeout(subscribing, connectWaitMs);
  }

  async function run(
    name: ScriptName,
    scriptKeys: readonly string[],
    args: readonly ScriptArg[],
    before?: readonly RedisCommand[],
  ): Promise<unknown> {
    await ready();
    coalesceWrites();
    try {
      return await runScript(name, scriptKeys, [keys.base, ...args], before);
    } catch (error) {
      throw translateRedisError(error);
    }
  }

  /** Runs a script whose effect is acknowledged to a producer: on the intake connection, then WAIT if replicated. */
  async function runAcknowledged(
    name: ScriptName,
    scriptKeys: readonly string[],
    args: readonly ScriptArg[],
    before?: readonly RedisCommand[],
  ): Promise<unknown> {
    if (clusterIntake) {
      await ready();
      return clusterIntake.run(name, scriptKeys, [keys.base, ...args], before);
    }
    if (!intake || !replication) return run(name, scriptKeys, args, before);
    await ready();
    await whenReady(intake, connectWaitMs);
    let reply: unknown;
    try {
      reply = await runIntakeScript(name, scriptKeys, [keys.base, ...args], before);
    } catch (error) {
      throw translateRedisError(error);
    }
    await replication.confirm();
    return reply;
  }

  async function sync(endpoints: readonly Endpoint[]): Promise<void> {
    if (endpoints.length === 0) return;
    const args: ScriptArg[] = [];
    for (const endpoint of endpoints) args.push(...endpointArgs(endpoint));
    const [, stored] = (await run("syncEndpoints", [keys.schedule], args)) as [number, string];
    format.learn(stored);
  }

  /** Re-syncs the endpoints Redis lost that this store knows; returns the ids it does not know. */
  async function restore(ids: readonly string[]): Promise<string[]> {
    const restorable = ids.flatMap((id) => known.get(id) ?? []);
    if (restorable.length > 0) {
      logger.warn({ endpointIds: restorable.map((e) => e.id) }, "endpoint policies missing in redis; re-synced");
      await sync(restorable);
    }
    return ids.filter((id) => !known.has(id));
  }

  /** Endpoint states and, unless `withOutbox` is false (the figures are then zeros), the outbox's figures. */
  async function readStates(ids: readonly string[], now: number, withOutbox = true): Promise<SchedulerStats> {
    const reply = (await run("endpointStates", [keys.schedule], [now, withOutbox ? "1" : "0", ...ids])) as unknown[];
    const outbox = outboxFigures(reply);
    const states: EndpointState[] = [];
    for (let i = 3; i < reply.length; i += 10) {
      const [id, isKnown, enabled, reason, breaker, openUntil, failingSince, queued, inFlight, dead] = reply.slice(
        i,
        i + 10,
      ) as [string, string, string, string, EndpointState["breaker"], string, string, number, number, number];
      if (isKnown !== "1") continue;
      states.push({
        endpointId: id,
        enabled: enabled === "1",
        ...(reason === "" ? {} : { disabledReason: reason }),
        breaker,
        ...(openUntil === "" ? {} : { openUntil: Number(openUntil) }),
        ...(failingSince === "" ? {} : { failingSince: Number(failingSince) }),
        queued,
        inFlight,
        dead,
      });
    }
    return { endpoints: states, outbox };
  }

  async function readDeliveries(ids: readonly string[]): Promise<DeliveryInfo[]> {
    const reply = (await run("getDeliveries", [keys.schedule], ids)) as string[];
    const deliveries: DeliveryInfo[] = [];
    for (let i = 0; i < reply.length; i += 8) {
      const [deliveryId, messageId, endpointId, status, attempts, createdAt, dueAt, envelope] = reply.slice(
        i,
        i + 8,
      ) as [string, string, string, DeliveryStatus, string, string, string, string];
      deliveries.push({
        deliveryId,
        messageId,
        endpointId,
        status,
        attempts: Number(attempts),
        createdAt: Number(createdAt),
        ...(dueAt === "" ? {} : { dueAt: Number(dueAt) }),
        ...(envelope === "" ? {} : { envelope: decodeEnvelope(envelope) }),
      });
    }
    return deliveries;
  }

  function unknownEndpoint(ids: readonly string[]): HookyardError {
    return new HookyardError("ENDPOINT_UNKNOWN", `unknown endpoint(s): ${ids.join(", ")}`, {
      details: { endpointIds: [...ids] },
    });
  }

  /** One message's record in the enqueue script's arguments (see enqueue.lua) and the result it will have. */
  interface PreparedEnqueue {
    readonly args: ScriptArg[];
    readonly result: EnqueueResult;
    /** The encoded envelope, `args[ENVELOPE_ARG]`. */
    readonly encoded: string;
    /** The ids are a duplicate's re-run (`PresetIds.reused`): nothing may be written ahead under them. */
    readonly reused: boolean;
  }

  /** An enqueue waiting for its batch; `preset` when a sharded store chose the ids. */
  interface PendingEnqueue {
    readonly request: EnqueueRequest;
    readonly preset?: PresetIds;
  }

  function prepareEnqueue({ request, preset }: PendingEnqueue): PreparedEnqueue {
    const { envelope, endpointIds, now } = request;
    const messageId = preset?.messageId ?? nextId(now);
    const deliveryIds = preset?.deliveryIds ?? endpointIds.map(() => nextId(now));
    const dedupTtlMs = request.dedupKey === undefined ? 0 : Math.max(0, Math.ceil(request.dedupTtlMs ?? 0));
    const encoded = encodeEnvelope(envelope);
    // In enqueue.lua's order; the envelope at ENVELOPE_ARG.
    const args: ScriptArg[] = [
      now,
      messageId,
      encoded,
      envelope.key ?? "",
      dedupTtlMs > 0 ? (request.dedupKey ?? "") : "",
      dedupTtlMs,
      `${now + dedupTtlMs}|${preset?.record ?? JSON.stringify({ messageId, deliveryIds })}`,
      endpointIds.length,
    ];
    endpointIds.forEach((endpointId, index) => {
      args.push(endpointId, deliveryIds[index] ?? "");
    });
    return {
      args,
      result: { messageId, deliveryIds, duplicate: false },
      encoded,
      reused: preset?.reused === true,
    };
  }

  /**
   * Where enqueue.lua keeps a message's envelope (its one delivery's hash, or a fan-out's message hash), or
   * undefined where it may not be written ahead: ids of a re-run may name live keys, and a message without
   * endpoints (a sharded store's dedup decision) keeps none.
   */
  function envelopeKeyOf({ result, reused }: PreparedEnqueue): string | undefined {
    const [first, ...others] = result.deliveryIds;
    if (reused || first === undefined) return undefined;
    return others.length === 0 ? keys.delivery(first) : keys.message(result.messageId);
  }

  /**
   * Runs one enqueue script call for `batch`; one result (or the error of that message) per entry.
   *
   * A batch of `ENVELOPES_AHEAD_MIN` messages or more (a broker's batch, a backlog) writes envelopes ahead, in the
   * same MULTI/EXEC just before the script: under storage format 2 (storage-format.ts) those of its messages with
   * one delivery with one HSET of `{hy}:envelopes` for the whole call, "@" in their place; the others, and every
   * message under format 1, when of `ENVELOPE_AHEAD_MIN_BYTES` or more, with one HSET each of the hash that keeps
   * them, "" in their place. Every string that enters Lua is interned, and Redis's Lua hashes all of its bytes to do
   * so (~11 instructions per byte, Redis #9449): an envelope passed as an argument cost Redis ~11k instructions per
   * KiB more than the HSET outside. The script deletes an envelope it did not keep (a duplicate, an unknown
   * endpoint). A smaller batch (a quiet rate) passes them as arguments, as a lease the enqueue pushes to a waiting
   * worker carries its envelope, which the script would otherwise read back into Lua; so do smaller envelopes under
   * format 1, for which a command each costs this process more than it saves Redis.
   */
  async function enqueueScript(batch: readonly PreparedEnqueue[]): Promise<(PartResult | Error)[]> {
    const args: ScriptArg[] = [];
    const before: RedisCommand[] = [];
    const ahead = batch.length >= ENVELOPES_AHEAD_MIN;
    const external: string[] = [];
    for (const entry of batch) {
      const [deliveryId, ...others] = entry.result.deliveryIds;
      if (ahead && format.external() && !entry.reused && deliveryId !== undefined && others.length === 0) {
        external.push(deliveryId, entry.encoded);
        args.push(...entry.args.with(ENVELOPE_ARG, ENVELOPE_EXTERNAL));
        continue;
      }
      const envelopeKey = ahead && entry.encoded.length >= ENVELOPE_AHEAD_MIN_BYTES ? envelopeKeyOf(entry) : undefined;
      if (envelopeKey !== undefined) {
        before.push(["HSET", envelopeKey, "env", entry.encoded]);
        args.push(...entry.args.with(ENVELOPE_ARG, ""));
      } else {
        args.push(...entry.args);
      }
    }
    if (external.length > 0) before.push(["HSET", keys.envelopes, ...external]);
    const replies = (await runAcknowledged("enqueue", [keys.schedule], args, before)) as (string[] | string)[];
    format.learn(replies.pop());
    return batch.map((entry, index): PartResult | Error => {
      const [status, ...rest] = (replies[index] as string[] | undefined) ?? [];
      if (status === "ok") return entry.result;
      if (status === "duplicate") {
        const first = JSON.parse(rest[0] ?? "{}") as PartResult;
        const { messageId, deliveryIds, endpointIds } = first;
        return { messageId, deliveryIds, duplicate: true, ...(endpointIds ? { endpointIds } : {}) };
      }
      if (status === "unknown") return unknownEndpoint(rest);
      return new Error(`unexpected enqueue reply for message ${entry.result.messageId}: ${String(status)}`);
    });
  }

  /**
   * Concurrent enqueues share script calls (up to 64 messages or 4 MiB of envelopes each, four calls at a time:
   * small enough that Node prepares the next batch while Redis runs one — 256 × 2 was slower, 14k vs 16–23k
   * enqueues/s in bench/scheduler). A message whose endpoints Redis lost is retried once, alone, after re-syncing the endpoints this store knows.
   */
  const enqueueBatched = createCallBatcher<PendingEnqueue, PartResult>({
    maxBatch: 64,
    maxWeight: 4 * 1024 * 1024,
    maxInFlight: 4,
    weigh: ({ request }) => request.envelope.data.byteLength,
    async run(requests) {
      const prepared = requests.map(prepareEnqueue);
      const results = await enqueueScript(prepared);
      return Promise.all(
        results.map(async (result, index) => {
          if (!(result instanceof HookyardError) || result.code !== "ENDPOINT_UNKNOWN") return result;
          const missing = (result.details.endpointIds ?? []) as string[];
          const stillUnknown = await restore(missing);
          if (stillUnknown.length > 0) return unknownEndpoint(stillUnknown);
          const [retried] = await enqueueScript([prepared[index] as PreparedEnqueue]);
          return retried as PartResult | Error;
        }),
      );
    },
  });

  async function claimShard(request: ClaimRequest): Promise<ShardClaimResult> {
    const { workerId, leaseMs, now } = request;
    const max = Math.min(MAX_CLAIM, Math.max(1, Math.floor(request.max)));
    const push = pushes.get(workerId);
    // Registered for pushes only once its channel is subscribed (a push nobody receives is undone, but would be
    // one for nothing).
    if (push !== undefined && push.subscribed === undefined) {
      await withTimeout(push.ready, connectWaitMs).catch(() => {});
    }
    const takesPushes = push?.subscribed === true;
    const roomArgs: ScriptArg[] = [request.endpointRoom ?? "", takesPushes ? Math.ceil(push.idleTtlMs) : ""];
    for (const [endpointId, room] of request.rooms ?? []) roomArgs.push(endpointId, Math.max(0, Math.floor(room)));
    // The claim id makes every lease's fencing token unique across workers and claims (see claim.lua).
    const claimArgs = [now, max, Math.ceil(leaseMs), workerId, nextId(now), ...roomArgs];
    const reply = (await claimWithRide(workerId, claimArgs)) as [
      string,
      string[],
      string,
      string,
      ...(string | number)[],
    ];
    const [nextDue, missing, leaseDue, scheduleDue] = reply;
    const deliveries = await withEnvelopes(workerId, decodeLeaseHeads(reply, 4), now);
    let nextDueAt = nextDue === "" ? undefined : Math.ceil(Number(nextDue));
    if (missing.length > 0) {
      const stillUnknown = await restore(missing);
      if (stillUnknown.length < missing.length) nextDueAt = now; // restored endpoints may have due work
      if (stillUnknown.length > 0) logger.warn({ endpointIds: stillUnknown }, "queued work for unknown endpoints");
    }
    return {
      deliveries,
      ...(nextDueAt === undefined ? {} : { nextDueAt }),
      ...(leaseDue === "" ? {} : { leaseDueAt: Math.ceil(Number(leaseDue)) }),
      ...(scheduleDue === "" ? {} : { scheduleDueAt: Math.ceil(Number(scheduleDue)) }),
    };
  }

  /**
   * Claimed leases with their envelopes, read right after the claim (see lease-replies.ts). A lease whose envelope
   * Redis lost is dead-lettered ("envelope missing") rather than returned: a poison entry must not block its queue.
   * If the read fails the claim fails; its leases come back when they expire, like those of a worker that died.
   */
  async function withEnvelopes(workerId: string, heads: readonly LeaseHead[], now: number) {
    if (heads.length === 0) return [];
    let texts: (string | undefined)[];
    try {
      texts = await readLeasedEnvelopes(client, keys, heads);
    } catch (error) {
      throw translateRedisError(error);
    }
    const deliveries: ClaimedDelivery[] = [];
    const lost: CompletionResult[] = [];
    heads.forEach((head, i) => {
      const text = texts[i];
      if (text !== undefined) deliveries.push(leasedDelivery(head, text, envelopes));
      else
        lost.push({
          deliveryId: head.deliveryId,
          kind: "dead",
          reason: "envelope missing",
          leaseToken: head.leaseToken,
        });
    });
    if (lost.length > 0) {
      const deliveryIds = lost.map((result) => result.deliveryId);
      logger.warn({ deliveryIds }, "leased deliveries without an envelope: dead-lettered");
      // The others are leased and go out either way; a lost one whose settle failed comes back at its lease's
      // expiry, to the next claim.
      await completeNow(workerId, lost, now).catch((error: unknown) =>
        logger.warn({ err: error, deliveryIds }, "could not dead-letter deliveries without an envelope"),
      );
    }
    return deliveries;
  }

  /** complete.lua for `results` in a call of its own (not riding a later claim), and what follows a complete. */
  async function completeNow(workerId: string, results: readonly CompletionResult[], now: number) {
    const reply = (await run("complete", [keys.schedule, keys.leases], completeArgs(workerId, results, now))) as (
      | string
      | number
      | string[]
    )[];
    return completed(results, reply, now);
  }

  /** A complete's reply: its operator events, the hand-off told of settled records, the report. */
  function completed(
    results: readonly CompletionResult[],
    reply: (string | number | string[])[],
    now: number,
  ): CompleteReport {
    events.emit(schedulerEventsOf(reply, now));
    if (results.some((result) => result.kind === "delivered" || result.kind === "dead")) {
      for (const listener of settledListeners) listener();
    }
    return { applied: Number(reply[0]), stale: (reply[1] ?? []) as string[] };
  }

  function completeArgs(workerId: string, results: readonly CompletionResult[], now: number): ScriptArg[] {
    const args: ScriptArg[] = [now, workerId, outboxMaxRecords, MAX_ATTEMPTS_LOGGED];
    for (const result of results) args.push(...completionArgs(result));
    return args;
  }

  /** claim.lua's reply; a complete of the same worker waiting to ride goes first in the same call. */
  async function claimWithRide(workerId: string, claimArgs: readonly ScriptArg[]): Promise<unknown> {
    const ride = riding.take(workerId);
    if (ride === undefined) return run("claim", [keys.schedule, keys.leases], claimArgs);
    let reply: [unknown, unknown];
    try {
      const args = [ride.args.length, ...ride.args, ...claimArgs];
      reply = (await run("completeClaim", [keys.schedule, keys.leases], args)) as [unknown, unknown];
    } catch (error) {
      ride.fail(error);
      throw error;
    }
    ride.settle(reply[0]);
    // The claim part failed after the settle was applied: the complete stands, the claim fails alone.
    if (reply[1] instanceof Error) throw translateRedisError(reply[1]);
    return reply[1];
  }

  /** complete.lua's reply, from its own call or from a claim of the same worker it rode in. */
  async function completeReply(workerId: string, args: readonly ScriptArg[]): Promise<unknown> {
    const offer = riding.offer(workerId, args);
    try {
      await ready();
    } catch (error) {
      // Withdrawn either way: a claim must not take a complete that has given up (one that took it decides).
      const taken = offer.withdraw();
      if (taken === undefined) throw error;
      return taken;
    }
    return offer.withdraw() ?? run("complete", [keys.schedule, keys.leases], args);
  }

  /**
   * New outbox entries for `consumer` (after take-outbox.lua reclaimed the stale ones), as entry id, fields; the
   * legacy outbox's too while it holds entries (their ids marked "old:", as ack-outbox.lua reads them).
   */
  async function readNewSettled(consumer: string, count: number, legacy: boolean): Promise<unknown[]> {
    const streams = legacy ? [keys.outbox, keys.legacyOutbox, ">", ">"] : [keys.outbox, ">"];
    let reply: [string, [string, string[]][]][] | null;
    try {
      reply = (await client.xreadgroup("GROUP", "history", consumer, "COUNT", count, "STREAMS", ...streams)) as
        | [string, [string, string[]][]][]
        | null;
    } catch (error) {
      // The group went away since take-outbox.lua made sure of it (a FLUSHALL): the next take creates it again.
      if (error instanceof Error && error.message.includes("NOGROUP")) return [];
      throw translateRedisError(error);
    }
    const flat: unknown[] = [];
    for (const [stream, entries] of reply ?? []) {
      const mark = stream === keys.legacyOutbox ? "old:" : "";
      for (const [id, fields] of entries) flat.push(mark + id, fields);
    }
    return flat;
  }

  const takeSize = createTakeSizer();

  /**
   * Outbox records as handed off, with the envelopes kept in `{hy}:envelopes` (one HMGET); `reuse`: decode them
   * with what this process's leases decoded (envelope-reuse.ts), as a take does.
   */
  async function withExternalEnvelopes(records: readonly OutboxRecordFields[], reuse = true): Promise<SettledEntry[]> {
    const ids = externalEnvelopeIds(records);
    const texts = ids.length > 0 ? await client.hmget(keys.envelopes, ...ids) : [];
    const external = new Map(ids.map((id, i) => [id, texts[i] ?? null]));
    return settledEntries(records, external, reuse ? envelopes.settled : undefined);
  }

  const store: RedisShard = {
    durable: true,
    keys,
    client,
    clock,

    async syncEndpoints(endpoints) {
      for (const endpoint of endpoints) known.set(endpoint.id, endpoint);
      await sync(endpoints);
    },

    enqueue(request: EnqueueRequest): Promise<EnqueueResult> {
      if (closed) return Promise.reject(new HookyardError("STORE_CLOSED", "the scheduler store is closed"));
      return enqueueBatched({ request });
    },

    async claim(request: ClaimRequest): Promise<ClaimResult> {
      const { deliveries, nextDueAt } = await claimShard(request);
      return nextDueAt === undefined ? { deliveries } : { deliveries, nextDueAt };
    },

    claimShard,

    enqueuePart(request, preset) {
      if (closed) return Promise.reject(new HookyardError("STORE_CLOSED", "the scheduler store is closed"));
      return enqueueBatched({ request, preset });
    },

    async complete(workerId: string, results: readonly CompletionResult[], now: number): Promise<CompleteReport> {
      if (results.length === 0) return { applied: 0, stale: [] };
      const reply = (await completeReply(workerId, completeArgs(workerId, results, now))) as (
        | string
        | number
        | string[]
      )[];
      return completed(results, reply, now);
    },

    async extendLeases(workerId, leases, leaseMs, now) {
      if (leases.length === 0) return;
      const args: ScriptArg[] = [now + Math.ceil(leaseMs), workerId];
      for (const lease of leases) {
        if (typeof lease === "string") args.push(lease, "");
        else args.push(lease.deliveryId, lease.leaseToken);
      }
      await run("extendLeases", [keys.leases], args);
    },

    async getDelivery(deliveryId) {
      const [info] = await readDeliveries([deliveryId]);
      return info;
    },

    async listAttempts(deliveryId) {
      await ready();
      try {
        const records = await client.lrange(keys.attempts(deliveryId), 0, -1); // newest first
        return records.reverse().map((record) => JSON.parse(record) as AttemptRecord);
      } catch (error) {
        throw translateRedisError(error);
      }
    },

    async requeue(deliveries, now) {
      const queued: string[] = [];
      // Bounded calls: one script never blocks Redis for long.
      for (let i = 0; i < deliveries.length; i += 200) {
        const chunk = deliveries.slice(i, i + 200);
        const args: ScriptArg[] = [now];
        for (const d of chunk) {
          args.push(
            d.deliveryId,
            d.messageId,
            d.endpointId,
            d.createdAt,
            encodeEnvelope(d.envelope),
            d.envelope.key ?? "",
          );
        }
        let [ids, missing] = (await run("requeue", [keys.schedule], args)) as [string[], string[]];
        if (missing.length > 0 && (await restore(missing)).length < missing.length) {
          const retried = (await run("requeue", [keys.schedule], args)) as [string[], string[]];
          ids = [...ids, ...retried[0]];
          missing = retried[1];
        }
        if (missing.length > 0) logger.warn({ endpointIds: missing }, "replay skipped deliveries of unknown endpoints");
        queued.push(...ids);
      }
      return queued;
    },

    async setEndpointEnabled(endpointId, enabled, now) {
      const args = [now, endpointId, enabled ? "1" : "0", "disabled by operator"];
      if ((await run("setEndpointEnabled", [keys.schedule], args)) === 1) return;
      if ((await restore([endpointId])).length > 0) throw unknownEndpoint([endpointId]);
      if ((await run("setEndpointEnabled", [keys.schedule], args)) !== 1) throw unknownEndpoint([endpointId]);
    },

    async getEndpointState(endpointId, now) {
      let [state] = (await readStates([endpointId], now, false)).endpoints;
      if (state === undefined && (await restore([endpointId])).length === 0) {
        [state] = (await readStates([endpointId], now, false)).endpoints;
      }
      if (state === undefined) throw unknownEndpoint([endpointId]);
      return state;
    },

    stats(): Promise<SchedulerStats> {
      return readStates([], clock.now());
    },

    statsAt(now) {
      return readStates([], now);
    },

    async keepRejected(message) {
      const record = encodeRejected(message);
      await runAcknowledged(
        "keepRejected",
        [keys.rejected(message.origin)],
        [record, REJECTED_KEPT_PER_ORIGIN, REJECTED_RETENTION_MS],
      );
    },

    async listRejected(origin, limit) {
      await ready();
      try {
        const items = await client.lrange(keys.rejected(origin), 0, Math.max(0, limit) - 1);
        return items.map(decodeRejected);
      } catch (error) {
        throw translateRedisError(error);
      }
    },

    async takeSettled({ consumer, max, reclaimAfterMs, forgetIdleConsumersMs }) {
      const count = Math.max(1, Math.floor(max));
      const forget = forgetIdleConsumersMs === undefined ? "" : Math.max(0, Math.ceil(forgetIdleConsumersMs));
      const args = [consumer, takeSize.entriesFor(count), Math.ceil(reclaimAfterMs), forget];
      const [legacy, ...reclaimedReply] = (await run("takeOutbox", [keys.outbox], args)) as unknown[];
      const records = readOutboxRecords(reclaimedReply);
      const room = count - records.length;
      if (room > 0) {
        const fresh = await readNewSettled(consumer, takeSize.entriesFor(room), legacy === "1");
        const taken = readOutboxRecords(fresh);
        takeSize.learn(fresh.length / 2, taken.length);
        records.push(...taken);
      }
      return withExternalEnvelopes(records);
    },

    async ackSettled(entries) {
      if (entries.length === 0) return;
      const args: ScriptArg[] = [];
      for (const { entryId, record } of entries) {
        args.push(entryId, record.deliveryId, record.status === "dead" ? record.endpointId : "");
      }
      await run("ackOutbox", [keys.outbox], args);
    },

    async findSettled(deliveryId) {
      await ready();
      try {
        const entryId = await client.hget(keys.outboxIds, deliveryId);
        if (entryId === null) return undefined;
        // The index holds a bare entry id: the batched outbox's, or the legacy one's (written by an older version).
        for (const stream of [keys.outbox, keys.legacyOutbox]) {
          const records = readOutboxRecords((await client.xrange(stream, entryId, entryId)).flat());
          const found = records.find(({ fields }) => fields.get("d") === deliveryId);
          if (found !== undefined) return (await withExternalEnvelopes([found], false))[0]?.record;
        }
        return undefined;
      } catch (error) {
        throw translateRedisError(error);
      }
    },

    async outboxStats(now) {
      return outboxFigures((await run("outboxStats", [keys.outbox], [now ?? clock.now()])) as unknown[]);
    },

    onSettled(listener) {
      const own = () => listener();
      settledListeners.add(own);
      return () => {
        settledListeners.delete(own);
      };
    },

    onEvent(listener) {
      return events.subscribe(listener);
    },

    onWake(listener) {
      return wake.add((_channel, message) => listener(wakeTime(message)));
    },

    onPush(workerId, listener, { idleTtlMs }) {
      if (wiring) return undefined; // a sharded store's claims visit shards in turn: they take no pushes
      const channel = wake.addChannel(keys.pushChannel(workerId), (message) => {
        let leases: ClaimedDelivery[];
        try {
          leases = decodePushedLeases(JSON.parse(message) as unknown[], envelopes);
        } catch (error) {
          logger.warn({ err: error }, "unreadable pushed leases; they come back when they expire");
          return;
        }
        listener(leases);
      });
      if (channel === undefined) return undefined;
      const entry: PushEntry = { idleTtlMs, ready: channel.ready, subscribed: undefined };
      channel.ready.then((ok) => {
        entry.subscribed = ok;
      });
      pushes.set(workerId, entry);
      return () => {
        if (pushes.get(workerId) === entry) pushes.delete(workerId);
        channel.remove();
      };
    },

    async storageFormat() {
      await ready();
      return readStorageFormat(client, keys);
    },

    async upgradeStorageFormat() {
      await ready();
      return upgradeStorageFormat(client, keys);
    },

    async checkServer() {
      await ready();
      if (!wiring) await checkShardCount(client, options.prefix ?? "hy", 1);
      const report = await checkServer(client, { durability, unverifiedConfig: options.unverifiedConfig ?? false });
      waitAof = report.waitAof;
      clusterIntake?.useWaitAof(report.waitAof);
      return report.warnings;
    },

    async close() {
      if (closed) return;
      closed = true;
      if (ownClock) clock.close();
      await wake.close();
      if (intake) await closeClient(intake);
      if (clusterIntake && ownIntake) await clusterIntake.close();
      if (owned) await closeClient(client);
    },
  };
  return store;
}

/** `replicated` on a Cluster: acknowledged scripts run on an intake client of their own (see cluster-intake.ts). */
export function openClusterIntake(
  client: RedisClient,
  durability: AckDurability,
  connectWaitMs: number,
  logger: SchedulerLogger,
): ClusterIntake | undefined {
  if (durability.mode !== "replicated" || !(client instanceof Cluster)) return undefined;
  const cluster = client.duplicate();
  cluster.on("error", (error: Error) => logger.debug({ err: error }, "redis intake connection error"));
  return createClusterIntake({
    cluster,
    replicas: durability.replicas ?? 1,
    timeoutMs: durability.timeoutMs ?? 1000,
    connectWaitMs,
    logger,
  });
}

/** The policy of one endpoint as sync-endpoints.lua reads it (12 items). */
function endpointArgs(endpoint: Endpoint): ScriptArg[] {
  const { policy } = endpoint;
  const breaker = policy.breaker;
  return [
    endpoint.id,
    Math.max(1, Math.floor(policy.concurrency)),
    policy.rateLimit?.perSecond ?? 0,
    Math.max(1, Math.floor(policy.rateLimit?.burst ?? 1)),
    policy.orderedByKey ? 1 : 0,
    breaker.windowMs,
    breaker.minRequests,
    breaker.failureRate,
    breaker.cooldownMs,
    breaker.disableAfterMs,
    `failing for more than ${breaker.disableAfterMs} ms`,
    endpoint.enabled ? 1 : 0,
  ];
}

/** The operator events in complete.lua's reply (groups of 7 after the count applied and the stale ids). */
function schedulerEventsOf(reply: readonly (string | number | string[])[], at: number): SchedulerEvent[] {
  const found: SchedulerEvent[] = [];
  for (let i = 2; i + 6 < reply.length; i += 7) {
    const item = (offset: number) => String(reply[i + offset] ?? "");
    const endpointId = item(1);
    switch (item(0)) {
      case "disabled":
        found.push({ kind: "endpoint.disabled", endpointId, at, reason: item(2) });
        break;
      case "opened":
        found.push({ kind: "endpoint.breaker.opened", endpointId, at, openUntil: Number(item(2)) });
        break;
      case "closed":
        found.push({ kind: "endpoint.breaker.closed", endpointId, at });
        break;
      case "dead": {
        const eventType = item(6);
        found.push({
          kind: "delivery.dead",
          endpointId,
          at,
          deliveryId: item(2),
          messageId: item(3),
          reason: item(4),
          attempts: Number(item(5)),
          ...(eventType === "" ? {} : { eventType }),
        });
        break;
      }
    }
  }
  return found;
}

/** One result as complete.lua reads it (6 items). */
function completionArgs(result: CompletionResult): ScriptArg[] {
  const token = result.leaseToken ?? "";
  switch (result.kind) {
    case "delivered":
    case "gone":
      return [result.deliveryId, result.kind, "", JSON.stringify(result.attempt), "", token];
    case "retry":
      return [result.deliveryId, result.kind, result.dueAt, JSON.stringify(result.attempt), "", token];
    case "throttled":
      return [result.deliveryId, result.kind, result.dueAt, JSON.stringify(result.attempt), "", token];
    case "dead": {
      const attempt = result.attempt ? JSON.stringify(result.attempt) : "";
      return [result.deliveryId, result.kind, "", attempt, result.reason, token];
    }
    case "release":
      return [result.deliveryId, result.kind, result.dueAt, "", "", token];
  }
}

/** A worker of this process that takes pushed leases (`onPush`): how long it stays registered after a claim. */
interface PushEntry {
  readonly idleTtlMs: number;
  /** Settles once its channel is subscribed (true) or the subscription failed (false). */
  readonly ready: Promise<boolean>;
  subscribed: boolean | undefined;
}

async function withTimeout(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((_, reject) => {
    timer = setTimeout(() => reject(redisUnavailable(`redis subscription not ready after ${ms} ms`)), ms);
  });
  try {
    await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** The outbox's figures as outbox-stats.lua and endpoint-states.lua reply them first: records, shed, oldest age. */
function outboxFigures(reply: readonly unknown[]): OutboxStats {
  return { records: Number(reply[0]), shed: Number(reply[1]), oldestAgeMs: Number(reply[2]) };
}
