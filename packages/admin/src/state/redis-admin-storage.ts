import type { RedisClient } from "@hookyard/scheduler";
import type { StoredEventType } from "../catalogue/event-type.js";
import type { AdminStorage } from "./admin-storage.js";
import {
  AUDIT_KEPT,
  type AuditEntry,
  JOB_RETENTION_MS,
  JOBS_KEPT,
  type ReplayJob,
  type StoredEndpoint,
  type StoredSubscription,
} from "./records.js";

export interface RedisAdminStorageOptions {
  /** The scheduler store's client (`RedisSchedulerStore.client`) or any ioredis client of the same Redis. */
  readonly client: RedisClient;
  /** The scheduler's key base (`RedisSchedulerStore.keys.base`, e.g. `{hy}:`): admin keys share its hash tag. */
  readonly base: string;
}

/**
 * Admin data in Redis, every key under the scheduler's hash tag (one slot, Cluster-safe):
 * - `{hy}:admin:endpoints`      hash  endpoint id → StoredEndpoint JSON (secrets included: it signs with them)
 * - `{hy}:admin:subscriptions`  hash  subscription id → StoredSubscription JSON
 * - `{hy}:admin:event-types`    hash  event type name → StoredEventType JSON
 * - `{hy}:admin:version`        counter, INCR with every endpoint/subscription/event-type write (instances poll it)
 * - `{hy}:admin:audit`          list  AuditEntry JSON, newest first, capped (LPUSH + LTRIM)
 * - `{hy}:admin:job:<id>`       string ReplayJob JSON, PX a week
 * - `{hy}:admin:jobs`           list  job ids, newest first, capped
 * This is not scheduler state (no queue or lease depends on it), so plain MULTI transactions keep each write
 * atomic; the scheduler's Lua-only rule is about its own keys.
 */
export function createRedisAdminStorage(options: RedisAdminStorageOptions): AdminStorage {
  const { client } = options;
  const key = (name: string) => `${options.base}admin:${name}`;
  const endpointsKey = key("endpoints");
  const subscriptionsKey = key("subscriptions");
  const eventTypesKey = key("event-types");
  const versionKey = key("version");
  const auditKey = key("audit");
  const jobsKey = key("jobs");

  /** The store's client fails fast while (re)connecting; wait briefly for it like the store does. */
  async function ready(): Promise<void> {
    if (client.status === "ready") return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        client.off("ready", onReady);
        reject(new Error("redis is not ready"));
      }, 2000);
      const onReady = () => {
        clearTimeout(timer);
        resolve();
      };
      client.once("ready", onReady);
    });
  }

  async function remove(hash: string, id: string): Promise<boolean> {
    await ready();
    const [[, deleted] = []] = (await client.multi().hdel(hash, id).incr(versionKey).exec()) ?? [];
    return deleted === 1;
  }

  async function put(hash: string, id: string, json: string, create: boolean): Promise<boolean> {
    await ready();
    if (create) {
      const [[, added] = []] = (await client.multi().hsetnx(hash, id, json).incr(versionKey).exec()) ?? [];
      return added === 1;
    }
    if ((await client.hexists(hash, id)) === 0) return false;
    await client.multi().hset(hash, id, json).incr(versionKey).exec();
    return true;
  }

  return {
    async listEndpoints() {
      await ready();
      return Object.values(await client.hgetall(endpointsKey)).map((json) => JSON.parse(json) as StoredEndpoint);
    },
    putEndpoint(record, create) {
      return put(endpointsKey, record.endpoint.id, JSON.stringify(record), create);
    },
    async listSubscriptions() {
      await ready();
      return Object.values(await client.hgetall(subscriptionsKey)).map(
        (json) => JSON.parse(json) as StoredSubscription,
      );
    },
    putSubscription(record, create) {
      return put(subscriptionsKey, record.id, JSON.stringify(record), create);
    },
    deleteSubscription(id) {
      return remove(subscriptionsKey, id);
    },
    async listEventTypes() {
      await ready();
      return Object.values(await client.hgetall(eventTypesKey)).map((json) => JSON.parse(json) as StoredEventType);
    },
    putEventType(record, create) {
      return put(eventTypesKey, record.name, JSON.stringify(record), create);
    },
    deleteEventType(name) {
      return remove(eventTypesKey, name);
    },
    async version() {
      await ready();
      return (await client.get(versionKey)) ?? "0";
    },
    async appendAudit(entry) {
      await ready();
      await client
        .multi()
        .lpush(auditKey, JSON.stringify(entry))
        .ltrim(auditKey, 0, AUDIT_KEPT - 1)
        .exec();
    },
    async listAudit(limit) {
      await ready();
      const items = await client.lrange(auditKey, 0, Math.max(0, limit) - 1);
      return items.map((json) => JSON.parse(json) as AuditEntry);
    },
    async putJob(job) {
      await ready();
      const jobKey = key(`job:${job.id}`);
      const fresh = (await client.set(jobKey, JSON.stringify(job), "PX", JOB_RETENTION_MS, "GET")) === null;
      if (fresh)
        await client
          .multi()
          .lpush(jobsKey, job.id)
          .ltrim(jobsKey, 0, JOBS_KEPT - 1)
          .exec();
    },
    async getJob(id) {
      await ready();
      const json = await client.get(key(`job:${id}`));
      return json === null ? undefined : (JSON.parse(json) as ReplayJob);
    },
    async listJobs(limit) {
      await ready();
      const ids = await client.lrange(jobsKey, 0, Math.max(0, limit) - 1);
      if (ids.length === 0) return [];
      const found = await client.mget(...ids.map((id) => key(`job:${id}`)));
      return found.flatMap((json) => (json === null ? [] : [JSON.parse(json) as ReplayJob]));
    },
  };
}
