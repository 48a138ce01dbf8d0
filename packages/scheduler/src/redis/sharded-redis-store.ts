import { HookyardError } from "@hookyard/core";
import type { Redis } from "ioredis";
import { createIdFactory } from "../embedded/ids.js";
import type { SchedulerLogger } from "../logger.js";
import type {
  ClaimedDelivery,
  ClaimRequest,
  ClaimResult,
  CompleteReport,
  CompletionResult,
  EnqueueRequest,
  EnqueueResult,
  LeaseRef,
  OutboxStats,
  SettledEntry,
} from "../store.js";
import { closeClient, openClient, whenReady } from "./connection.js";
import { createRedisKeys, type RedisKeys } from "./keys.js";
import { translateRedisError } from "./redis-errors.js";
import {
  createRedisShard,
  openClusterIntake,
  type PartResult,
  type RedisSchedulerStore,
  type RedisShard,
  type RedisStoreOptions,
} from "./redis-store.js";
import { checkShardCount } from "./shard-count.js";
import { shardOf } from "./shard-of.js";
import type { StorageFormatReport } from "./storage-format.js";
import { createWakeSubscriber, wakeTime } from "./wake-subscriber.js";

const MAX_CLAIM = 1000;
/**
 * A round of a claim visits at most max(MIN_VISITS, ceil(max / MIN_SHARE)) shards: each script call carries
 * fixed costs (lease expiry scan, schedule reads), so many small shares would cost more commands per delivery
 * than one shard does. The shards left out go first next time (their due time is older), so none starves.
 */
const MIN_SHARE = 100;
const MIN_VISITS = 4;
/** After a shard's claim failed (its master down), other shards go on; that one is tried again after this. */
const FAILED_SHARD_RETRY_MS = 1000;
const NO_LOGGER: SchedulerLogger = { debug() {}, info() {}, warn() {}, error() {} };

/** What this store knows of one shard, so that a claim only visits shards that may have work. */
interface ShardState {
  /** False until the shard was looked at, and again after a wake-up without a time (a reconnect, a sync). */
  known: boolean;
  /**
   * When the shard's earliest work is due, as far as this store knows: its earliest schedule entry at the last
   * claim, lowered by every later write here or wake-up from the shard's channel to the time it made work due.
   * Undefined: nothing becomes due by time alone.
   */
  dueAt: number | undefined;
  /** Bumped by every lowering of `dueAt`, so a claim's reply does not overwrite a wake-up that came meanwhile. */
  version: number;
  /** The shard's earliest lease expiry at the last claim: expired leases come back through a claim. */
  leaseDueAt: number | undefined;
  /** The shard's outbox may hold records (a local settle, or not yet looked at). */
  settled: boolean;
  /** Entries taken from the shard's outbox through this store and not acknowledged yet (they may come back). */
  held: number;
}

/**
 * A scheduler store over N shards (`redis.shards` > 1), each a single-shard Redis store with its own hash tag
 * `{<prefix>:i}`, sharing one client and one wake subscriber connection. An endpoint lives on shard
 * `shardOf(endpoint id)`, so every per-endpoint rule (queue order, concurrency, rate limit, breaker, per-key
 * order) stays one atomic script on one shard; only messages, dedup and the aggregate queries span shards.
 *
 * - enqueue: a message is stored once per shard its endpoints touch, with ids chosen here. With a dedup key, the
 *   shard of the key decides first (its own part and the dedup record, atomically); then every other part is
 *   written with the same key as a per-shard marker, so writing a part twice is a no-op. A duplicate re-runs
 *   the other parts with the first call's ids: a fan-out a crash interrupted is completed, never doubled.
 *   Without a dedup key the parts are independent: a failed call may have queued some parts (at least once).
 * - claim: visits only shards that may have due work (woken, due by time, a lease expiring, or written here),
 *   starting at a rotating shard and splitting `max` evenly among them; with none, one shard in rotation (a
 *   sweep for what other instances left behind). So an idle worker costs one command per claim, whatever N.
 * - complete / extendLeases go to the shard that leased the delivery (remembered at claim).
 * - the outbox: one per shard; `takeSettled` visits shards with records like claim does; entry ids say the shard.
 */
export function createShardedRedisStore(options: RedisStoreOptions, count: number): RedisSchedulerStore {
  const prefix = options.prefix ?? "hy";
  const logger = options.logger ?? NO_LOGGER;
  const connectWaitMs = options.connectWaitMs ?? 1000;
  const { client, owned } = openClient(options.redis, options.commandTimeoutMs ?? 10_000);
  if (owned) client.on("error", (error: Error) => logger.debug({ err: error }, "redis connection error"));
  const shardKeys = Array.from({ length: count }, (_, index) => createRedisKeys(prefix, { index, count }));
  const wake = createWakeSubscriber(
    client,
    shardKeys.map((keys) => keys.wakeChannel),
    logger,
  );
  const shardOptions: RedisStoreOptions = { ...options, redis: client };
  const durability = options.durability ?? { mode: "everysec" };
  const clusterIntake = openClusterIntake(client, durability, connectWaitMs, logger);
  const wiring = { wake, ...(clusterIntake ? { clusterIntake } : {}) };
  // One clock, the first shard's (see `clock` below): the others would each measure and refresh an offset no call
  // of this store reads.
  const first = createRedisShard(shardOptions, { keys: shardKeys[0] as RedisKeys, ...wiring });
  const shards: RedisShard[] = [
    first,
    ...shardKeys.slice(1).map((keys) => createRedisShard(shardOptions, { keys, ...wiring, clock: first.clock })),
  ];
  const state: ShardState[] = shards.map(() => ({
    known: false,
    dueAt: undefined,
    version: 0,
    leaseDueAt: undefined,
    settled: true,
    held: 0,
  }));
  const channelShard = new Map(shardKeys.map((keys, index) => [keys.wakeChannel, index]));
  /** Delivery id → shard, for deliveries leased through this store and not yet completed. */
  const leasedOn = new Map<string, number>();
  const settledListeners = new Set<() => void>();
  const known = new Set<string>();
  const nextId = createIdFactory();
  /** The shard after the last one a claim visited: where the next claim starts among equally due shards. */
  let claimStart = 0;
  let claimSweep = 0;
  let takeStart = 0;
  let closed = false;

  shards.forEach((shard, index) => {
    shard.onSettled(() => {
      (state[index] as ShardState).settled = true;
      for (const listener of settledListeners) listener();
    });
  });

  const endpointShard = (endpointId: string): RedisShard => shards[shardOf(endpointId, count)] as RedisShard;
  /** Work on shard `index` may be due from `at` on (a write made here, or the shard's wake-up). */
  const markDue = (index: number, at: number): void => {
    const s = state[index] as ShardState;
    if (s.dueAt === undefined || at < s.dueAt) s.dueAt = at;
    s.version += 1;
  };
  const markUnknown = (index: number): void => {
    const s = state[index] as ShardState;
    s.known = false;
    s.version += 1;
  };

  /**
   * Reads the earliest schedule entry and lease expiry of shards not known yet (at start, after a reconnect):
   * two reads per shard, once, so that the first claims visit the shards with the work due longest.
   */
  async function learn(now: number): Promise<void> {
    const unknown = state.flatMap((s, index) => (s.known ? [] : [index]));
    await Promise.all(
      unknown.map(async (index) => {
        const s = state[index] as ShardState;
        const keys = shardKeys[index] as RedisKeys;
        const version = s.version;
        try {
          await whenReady(client, connectWaitMs);
          const reader = client as Redis; // the same call on a Cluster client
          const [schedule, leases] = await Promise.all([
            reader.zrange(keys.schedule, "0", "0", "WITHSCORES"),
            reader.zrange(keys.leases, "0", "0", "WITHSCORES"),
          ]);
          s.dueAt = schedule[1] === undefined ? undefined : Number(schedule[1]);
          s.leaseDueAt = leases[1] === undefined ? undefined : Number(leases[1]);
          if (s.version !== version) s.dueAt = Math.min(s.dueAt ?? now, now);
        } catch (error) {
          logger.debug({ err: error }, "could not read a scheduler shard's schedule");
          s.dueAt = now; // the claim finds out (and reports the error)
        }
        s.known = true;
      }),
    );
  }

  function groupBy<T>(items: readonly T[], shardIndex: (item: T) => number): Map<number, T[]> {
    const groups = new Map<number, T[]>();
    for (const item of items) {
      const index = shardIndex(item);
      const group = groups.get(index);
      if (group) group.push(item);
      else groups.set(index, [item]);
    }
    return groups;
  }

  /**
   * Shards a claim at `now` should visit: those whose work may be due (earliest first, so endpoints waiting
   * longest go first across shards as within one; equal ones in rotation after the last shard served), or
   * else one shard in rotation.
   */
  function claimCandidates(now: number): number[] {
    const due = (at: number | undefined): boolean => at !== undefined && at <= now;
    const candidates: { index: number; at: number; turn: number }[] = [];
    for (let k = 0; k < count; k++) {
      const index = (claimStart + k) % count;
      const s = state[index] as ShardState;
      if (due(s.dueAt) || due(s.leaseDueAt)) {
        candidates.push({ index, at: due(s.dueAt) ? (s.dueAt as number) : now, turn: k });
      }
    }
    if (candidates.length > 0) {
      candidates.sort((x, y) => (x.at === y.at ? x.turn - y.turn : x.at - y.at)); // -Infinity first
      return candidates.map((c) => c.index);
    }
    const sweep = claimSweep;
    claimSweep = (claimSweep + 1) % count;
    return [sweep];
  }

  /** Claims `max` from `visits`, split evenly (the first ones get the remainder); records what each reports. */
  async function claimRound(request: ClaimRequest, visits: readonly number[], max: number, due: Map<number, number>) {
    // floor, not the remainder spread: a shard's endpoints get at most their share of max, as within one shard.
    const share = Math.max(1, Math.floor(max / visits.length));
    const versions = visits.map((index) => (state[index] as ShardState).version);
    const replies = await Promise.allSettled(
      visits.map((index) =>
        (shards[index] as RedisShard).claimShard({
          ...request,
          max: share,
          ...(request.rooms ? { rooms: roomsOn(request.rooms, index) } : {}),
        }),
      ),
    );
    const deliveries: ClaimedDelivery[] = [];
    const more: number[] = []; // shards that filled their share and have due work left
    let short = false; // a shard left part of its share unused
    let failure: unknown;
    replies.forEach((reply, k) => {
      const index = visits[k] as number;
      const s = state[index] as ShardState;
      const lowered = s.version !== versions[k] ? s.dueAt : undefined;
      if (reply.status === "rejected") {
        failure ??= reply.reason;
        s.dueAt = request.now + FAILED_SHARD_RETRY_MS;
        due.set(index, s.dueAt);
      } else {
        const { nextDueAt, leaseDueAt, scheduleDueAt } = reply.value;
        s.dueAt = scheduleDueAt;
        s.leaseDueAt = leaseDueAt;
        if (nextDueAt === undefined) due.delete(index);
        else due.set(index, nextDueAt);
        for (const delivery of reply.value.deliveries) {
          leasedOn.set(delivery.deliveryId, index);
          deliveries.push(delivery);
        }
        if (reply.value.deliveries.length < share) short = true;
        else if (nextDueAt !== undefined && nextDueAt <= request.now) more.push(index);
      }
      if (lowered !== undefined && (s.dueAt === undefined || lowered < s.dueAt)) s.dueAt = lowered;
    });
    return { deliveries, more, short, failure };
  }

  /**
   * Visits the candidate shards in parallel with an even share of `max`; when some had less than their share
   * and others had more, a second round gives the rest to those (so `max` is used, and no shard takes more
   * than its share while another waits).
   */
  async function claim(request: ClaimRequest): Promise<ClaimResult> {
    const { now } = request;
    const max = Math.min(MAX_CLAIM, Math.max(1, Math.floor(request.max)));
    if (state.some((s) => !s.known)) await learn(now);
    let pending = claimCandidates(now);
    const deliveries: ClaimedDelivery[] = [];
    /** This worker's next due time per visited shard (its rooms leave endpoints out). */
    const due = new Map<number, number>();
    const visited = new Set<number>();
    let failure: unknown;
    // Rounds: candidates not visited yet (max was smaller than their number) and shards that had more than
    // their share share what is left; each round visits at least one shard, so this ends.
    for (let round = 0; round <= count && pending.length > 0 && deliveries.length < max; round++) {
      const left = max - deliveries.length;
      const visits = pending.slice(0, Math.min(left, Math.max(MIN_VISITS, Math.ceil(left / MIN_SHARE))));
      if (round === 0) claimStart = ((visits[visits.length - 1] as number) + 1) % count;
      const result = await claimRound(request, visits, left, due);
      for (const index of visits) visited.add(index);
      deliveries.push(...result.deliveries);
      failure ??= result.failure;
      const rest = pending.slice(visits.length);
      // What was left goes to shards not visited yet, and — only when a shard did not use its share — to those
      // that had more than theirs.
      pending = result.short ? [...rest, ...result.more.filter((index) => !rest.includes(index))] : rest;
    }
    if (failure !== undefined) {
      if (deliveries.length === 0) throw failure;
      logger.warn({ err: failure }, "claim failed on a scheduler shard; claimed from the others");
    }
    const nextDueAt = earliestDue(now, due, visited);
    return nextDueAt === undefined ? { deliveries } : { deliveries, nextDueAt };
  }

  /** The rooms of the endpoints living on shard `index` (the others mean nothing there). */
  function roomsOn(rooms: ReadonlyMap<string, number>, index: number): Map<string, number> {
    const own = new Map<string, number>();
    for (const [endpointId, room] of rooms) if (shardOf(endpointId, count) === index) own.set(endpointId, room);
    return own;
  }

  /** The earliest time any shard may have due work (now for one not known). */
  function earliestDue(now: number, due: Map<number, number>, visited: Set<number>): number | undefined {
    let earliest: number | undefined;
    for (const [index, s] of state.entries()) {
      const at = visited.has(index) ? due.get(index) : s.known ? s.dueAt : now;
      if (at !== undefined && (earliest === undefined || at < earliest)) earliest = at;
    }
    return earliest;
  }

  /** The shard that leased a delivery, or every shard when this store does not know it. */
  function shardsOfDelivery(deliveryId: string): number[] {
    const index = leasedOn.get(deliveryId);
    return index === undefined ? shards.map((_, i) => i) : [index];
  }

  async function complete(
    workerId: string,
    results: readonly CompletionResult[],
    now: number,
  ): Promise<CompleteReport> {
    if (results.length === 0) return { applied: 0, stale: [] };
    const groups = new Map<number, CompletionResult[]>();
    const sentTo = new Map<string, number>(); // shards each result went to
    for (const result of results) {
      const indexes = shardsOfDelivery(result.deliveryId);
      sentTo.set(result.deliveryId, indexes.length);
      for (const index of indexes) {
        const group = groups.get(index);
        if (group) group.push(result);
        else groups.set(index, [result]);
      }
    }
    // A result whose shard is not known went to every shard: it is stale only if every one found it stale.
    const staleCount = new Map<string, number>();
    let applied = 0;
    await Promise.all(
      [...groups].map(async ([index, group]) => {
        const report = await (shards[index] as RedisShard).complete(workerId, group, now);
        applied += report.applied;
        for (const id of report.stale) staleCount.set(id, (staleCount.get(id) ?? 0) + 1);
        markDue(index, now); // freed concurrency, a retry, a lost lease: work may be due earlier now
        for (const result of group) leasedOn.delete(result.deliveryId);
      }),
    );
    const stale = [...staleCount].flatMap(([id, times]) => (times >= (sentTo.get(id) ?? 1) ? [id] : []));
    return { applied, stale };
  }

  async function extendLeases(workerId: string, leases: readonly LeaseRef[], leaseMs: number, now: number) {
    const groups = new Map<number, LeaseRef[]>();
    for (const lease of leases) {
      const id = typeof lease === "string" ? lease : lease.deliveryId;
      for (const index of shardsOfDelivery(id)) groups.set(index, [...(groups.get(index) ?? []), lease]);
    }
    await Promise.all(
      [...groups].map(([index, refs]) => (shards[index] as RedisShard).extendLeases(workerId, refs, leaseMs, now)),
    );
  }

  const enqueue = (request: EnqueueRequest): Promise<EnqueueResult> =>
    enqueueSharded(request, { shards, count, known, nextId, client, markDue });

  async function takeSettled(request: Parameters<RedisSchedulerStore["takeSettled"]>[0]): Promise<SettledEntry[]> {
    const candidates: number[] = [];
    for (let k = 0; k < count; k++) {
      const index = (takeStart + k) % count;
      const s = state[index] as ShardState;
      if (s.settled || s.held > 0) candidates.push(index);
    }
    // None known to hold records: look at one shard in rotation (records an instance that died left behind).
    if (candidates.length === 0) candidates.push(takeStart);
    takeStart = (takeStart + 1) % count;
    const taken: SettledEntry[] = [];
    for (const index of candidates) {
      const want = request.max - taken.length;
      if (want <= 0) break;
      const entries = await (shards[index] as RedisShard).takeSettled({ ...request, max: want });
      const s = state[index] as ShardState;
      // A shard's take may return fewer records than asked while it holds more (it reads whole outbox entries,
      // counted by the records per entry it last saw): only an empty take says the shard is drained.
      s.settled = entries.length > 0;
      s.held += entries.length;
      for (const entry of entries) taken.push({ entryId: `${index}/${entry.entryId}`, record: entry.record });
    }
    return taken;
  }

  async function ackSettled(entries: readonly SettledEntry[]): Promise<void> {
    const groups = groupBy(entries, (entry) => Number(entry.entryId.slice(0, entry.entryId.indexOf("/"))));
    await Promise.all(
      [...groups].map(([index, group]) => {
        const shard = shards[index];
        if (shard === undefined) throw new Error(`outbox entry of unknown shard ${index}`);
        const own = group.map((entry) => ({ ...entry, entryId: entry.entryId.slice(entry.entryId.indexOf("/") + 1) }));
        const s = state[index] as ShardState;
        s.held = Math.max(0, s.held - own.length);
        return shard.ackSettled(own);
      }),
    );
  }

  const store: RedisSchedulerStore = {
    durable: true,
    // Companions (admin storage) keep their keys under the unsharded tag `{<prefix>}`, as with one shard.
    keys: createRedisKeys(prefix),
    client,
    // Redis time from the first shard's server: Cluster masters keep NTP time like any host, and one offset for
    // every shard keeps this instance's schedules and leases on one clock.
    clock: first.clock,

    async syncEndpoints(endpoints) {
      for (const endpoint of endpoints) known.add(endpoint.id);
      const groups = groupBy(endpoints, (endpoint) => shardOf(endpoint.id, count));
      await Promise.all([...groups].map(([index, group]) => (shards[index] as RedisShard).syncEndpoints(group)));
      for (const index of groups.keys()) markUnknown(index); // an endpoint enabled in config may have work
    },

    enqueue(request) {
      if (closed) return Promise.reject(new HookyardError("STORE_CLOSED", "the scheduler store is closed"));
      return enqueue(request);
    },

    claim,
    complete,
    extendLeases,

    async getDelivery(deliveryId) {
      const found = await Promise.all(shardsOfDelivery(deliveryId).map((i) => shards[i]?.getDelivery(deliveryId)));
      return found.find((info) => info !== undefined);
    },

    async listAttempts(deliveryId) {
      const lists = await Promise.all(shardsOfDelivery(deliveryId).map((i) => shards[i]?.listAttempts(deliveryId)));
      return lists.find((list) => list !== undefined && list.length > 0) ?? [];
    },

    async requeue(deliveries, now) {
      const groups = groupBy(deliveries, (d) => shardOf(d.endpointId, count));
      const queued = new Set<string>();
      await Promise.all(
        [...groups].map(async ([index, group]) => {
          for (const id of await (shards[index] as RedisShard).requeue(group, now)) queued.add(id);
          markDue(index, now);
        }),
      );
      return deliveries.flatMap((d) => (queued.has(d.deliveryId) ? [d.deliveryId] : []));
    },

    async setEndpointEnabled(endpointId, enabled, now) {
      await endpointShard(endpointId).setEndpointEnabled(endpointId, enabled, now);
      markDue(shardOf(endpointId, count), now);
    },

    getEndpointState: (endpointId, now) => endpointShard(endpointId).getEndpointState(endpointId, now),

    async stats() {
      const now = store.clock.now();
      const all = await Promise.all(shards.map((shard) => shard.statsAt(now)));
      return {
        endpoints: all.flatMap((stats) => stats.endpoints),
        outbox: combineOutboxStats(all.map((stats) => stats.outbox)),
      };
    },

    keepRejected: (message) => (shards[shardOf(message.origin, count)] as RedisShard).keepRejected(message),
    listRejected: (origin, limit) => (shards[shardOf(origin, count)] as RedisShard).listRejected(origin, limit),

    takeSettled,
    ackSettled,

    async findSettled(deliveryId) {
      // The delivery's shard is not in its id: ask every shard (one HGET each; admin reads only).
      const found = await Promise.all(shards.map((shard) => shard.findSettled(deliveryId)));
      return found.find((record) => record !== undefined);
    },

    async outboxStats(now) {
      // One `now` for every shard: their records' settle times are all on this store's clock.
      const at = now ?? store.clock.now();
      return combineOutboxStats(await Promise.all(shards.map((shard) => shard.outboxStats(at))));
    },

    onSettled(listener) {
      const own = () => listener();
      settledListeners.add(own);
      return () => {
        settledListeners.delete(own);
      };
    },

    onEvent(listener) {
      // Each shard reports what its own complete calls changed (an endpoint's events come from its one shard).
      const unsubscribes = shards.map((shard) => shard.onEvent(listener));
      return () => {
        for (const unsubscribe of unsubscribes) unsubscribe();
      };
    },

    onWake(listener) {
      return wake.add((channel, message) => {
        const index = channelShard.get(channel);
        const at = wakeTime(message); // the time the script made work due; "sync" or "" (reconnect): unknown
        if (index === undefined) return listener();
        if (at !== undefined) markDue(index, at);
        else markUnknown(index);
        listener(at);
      });
    },

    async checkServer() {
      if (closed) throw new HookyardError("STORE_CLOSED", "the scheduler store is closed");
      await whenReady(client, connectWaitMs);
      try {
        await checkShardCount(client, prefix, count);
      } catch (error) {
        throw error instanceof HookyardError ? error : translateRedisError(error);
      }
      const warnings = new Set<string>();
      for (const shard of shards) for (const warning of await shard.checkServer()) warnings.add(warning);
      return [...warnings];
    },

    async storageFormat() {
      return oldestFormat(await Promise.all(shards.map((shard) => shard.storageFormat())));
    },

    async upgradeStorageFormat() {
      return oldestFormat(await Promise.all(shards.map((shard) => shard.upgradeStorageFormat())));
    },

    async close() {
      if (closed) return;
      closed = true;
      await Promise.all(shards.map((shard) => shard.close()));
      await clusterIntake?.close();
      if (owned) await closeClient(client);
    },
  };
  return store;
}

interface EnqueueContext {
  readonly shards: readonly RedisShard[];
  /** Endpoint ids synced through this store (known to exist: endpoints are never deleted). */
  readonly known: ReadonlySet<string>;
  readonly count: number;
  readonly nextId: (now: number) => string;
  readonly client: RedisSchedulerStore["client"];
  readonly markDue: (index: number, at: number) => void;
}

/**
 * One message over the shards its endpoints live on (see `createShardedRedisStore`). A message whose endpoints
 * all live on one shard, without a dedup key or with the key on that shard too, is one script call as unsharded.
 */
async function enqueueSharded(request: EnqueueRequest, context: EnqueueContext): Promise<EnqueueResult> {
  const { shards, count, nextId, markDue } = context;
  const dedup = request.dedupKey !== undefined && Math.ceil(request.dedupTtlMs ?? 0) > 0;
  const decider = dedup ? shardOf(request.dedupKey ?? "", count) : undefined;
  const positions = new Map<number, number[]>(); // shard → positions in endpointIds
  request.endpointIds.forEach((id, position) => {
    const index = shardOf(id, count);
    positions.set(index, [...(positions.get(index) ?? []), position]);
  });
  const touched = [...positions.keys()];
  if (touched.length <= 1 && (decider === undefined || touched.length === 0 || touched[0] === decider)) {
    const index = touched[0] ?? decider ?? 0;
    const result = await (shards[index] as RedisShard).enqueue(request);
    markDue(index, request.now);
    return result;
  }
  await refuseUnknown(request.endpointIds, context);
  const messageId = nextId(request.now);
  const deliveryIds = request.endpointIds.map(() => nextId(request.now));
  const record = JSON.stringify({ messageId, deliveryIds, endpointIds: request.endpointIds });
  const part = async (index: number): Promise<PartResult> => {
    const own = positions.get(index) ?? [];
    const endpointIds = own.map((p) => request.endpointIds[p] as string);
    const preset = { messageId, deliveryIds: own.map((p) => deliveryIds[p] as string), record };
    const result = await (shards[index] as RedisShard).enqueuePart({ ...request, endpointIds }, preset);
    markDue(index, request.now);
    return result;
  };
  if (decider === undefined) {
    await Promise.all(touched.map(part));
    return { messageId, deliveryIds, duplicate: false };
  }
  const decision = await part(decider);
  if (!decision.duplicate) {
    await Promise.all(touched.filter((index) => index !== decider).map(part));
    return { messageId, deliveryIds, duplicate: false };
  }
  await completeInterrupted(request, decision, decider, context);
  return { messageId: decision.messageId, deliveryIds: decision.deliveryIds, duplicate: true };
}

/**
 * A duplicate of a fanned-out message: writes the first call's parts again with its ids (each shard's marker
 * makes this a no-op where the part exists), so a fan-out interrupted by a crash or an error is completed.
 */
async function completeInterrupted(
  request: EnqueueRequest,
  first: PartResult,
  decider: number,
  context: EnqueueContext,
): Promise<void> {
  const { shards, count, markDue } = context;
  const endpointIds = first.endpointIds;
  if (endpointIds === undefined) return; // a single-shard first result: nothing else to complete
  const record = JSON.stringify({ messageId: first.messageId, deliveryIds: first.deliveryIds, endpointIds });
  const byShard = new Map<number, number[]>();
  endpointIds.forEach((id, position) => {
    const index = shardOf(id, count);
    if (index !== decider) byShard.set(index, [...(byShard.get(index) ?? []), position]);
  });
  await Promise.all(
    [...byShard].map(async ([index, own]) => {
      const result = await (shards[index] as RedisShard).enqueuePart(
        { ...request, endpointIds: own.map((p) => endpointIds[p] as string) },
        {
          messageId: first.messageId,
          deliveryIds: own.map((p) => first.deliveryIds[p] as string),
          record,
          reused: true,
        },
      );
      if (!result.duplicate) markDue(index, request.now);
    }),
  );
}

/**
 * Unknown endpoint ids fail the whole call before any part is written (the parts are separate scripts). Ids
 * this store has not seen are looked up (their policy hash); endpoints are never deleted, so no race.
 */
async function refuseUnknown(endpointIds: readonly string[], context: EnqueueContext): Promise<void> {
  const { shards, count, client, known } = context;
  const unknown: string[] = [];
  await Promise.all(
    [...new Set(endpointIds.filter((id) => !known.has(id)))].map(async (id) => {
      const shard = shards[shardOf(id, count)] as RedisShard;
      if ((await client.exists(shard.keys.endpoint(id))) === 0) unknown.push(id);
    }),
  );
  if (unknown.length > 0) {
    throw new HookyardError("ENDPOINT_UNKNOWN", `unknown endpoint(s): ${unknown.join(", ")}`, {
      details: { endpointIds: unknown },
    });
  }
}

/** The store's outbox is every shard's: counts add up, and the oldest record waiting anywhere sets the age. */
function combineOutboxStats(all: readonly OutboxStats[]): OutboxStats {
  return {
    records: all.reduce((sum, s) => sum + s.records, 0),
    shed: all.reduce((sum, s) => sum + s.shed, 0),
    oldestAgeMs: all.reduce((oldest, s) => Math.max(oldest, s.oldestAgeMs), 0),
  };
}

/** A sharded store's format: its oldest shard's (what the whole store can be read as). */
function oldestFormat(reports: readonly StorageFormatReport[]): StorageFormatReport {
  return reports.reduce((oldest, report) => (report.format < oldest.format ? report : oldest));
}
