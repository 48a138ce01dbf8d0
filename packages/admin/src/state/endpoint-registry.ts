import type { Endpoint } from "@hookyard/core";
import type { SchedulerStore } from "@hookyard/scheduler";
import type { EventType, StoredEventType } from "../catalogue/event-type.js";
import type { AdminStorage } from "./admin-storage.js";
import { tombstoneOf } from "./deleted-endpoint.js";
import type { AdminSubscription, StoredEndpoint, StoredSubscription } from "./records.js";

/** An endpoint as the admin API sees it: from the config file (read-only) or created through the API. */
export interface ManagedEndpoint {
  readonly endpoint: Endpoint;
  readonly source: "config" | "api";
  readonly eventTypes: readonly string[];
  readonly description?: string;
  readonly createdAt?: number;
  readonly updatedAt?: number;
}

export interface ManagedSubscription extends AdminSubscription {
  /** `config`: from the file; `api`: created through the API; `endpoint`: implied by an endpoint's eventTypes. */
  readonly source: "config" | "api" | "endpoint";
}

/** An event type of the catalogue: from the config file (read-only) or created through the API. */
export interface ManagedEventType extends EventType {
  readonly source: "config" | "api";
  readonly createdAt?: number;
  readonly updatedAt?: number;
}

export interface EndpointRegistryOptions {
  readonly configEndpoints: readonly Endpoint[];
  readonly configSubscriptions: readonly AdminSubscription[];
  /** The config file's `eventTypes` (default none). */
  readonly configEventTypes?: readonly EventType[];
  readonly storage: AdminStorage;
  /** API-created endpoints are synced into it (policies) whenever they change. */
  readonly store: Pick<SchedulerStore, "syncEndpoints">;
}

/**
 * Every endpoint, subscription and catalogue event type, config and API-created alike, served synchronously from memory (the worker
 * looks endpoints up per delivery, the router per event) and reloaded from storage when its version changes:
 * at once after a local write, and by `watch` polling for writes of other instances.
 */
export interface EndpointRegistry {
  /** Loads API-created endpoints and subscriptions; call once before serving. */
  load(): Promise<void>;
  /** Reloads when storage changed since the last load; true when it did. */
  refresh(): Promise<boolean>;
  /** Polls `refresh` every `intervalMs`; returns the stop function. */
  watch(intervalMs: number): () => void;
  /** What the worker sends to: a live endpoint, or a deleted one's tombstone (its deliveries are dead-lettered). */
  get(id: string): Endpoint | undefined;
  /** True for an API endpoint deleted through the API (its tombstone). */
  isDeleted(id: string): boolean;
  managed(id: string): ManagedEndpoint | undefined;
  list(): readonly ManagedEndpoint[];
  /** Every endpoint, for the router and `store.syncEndpoints`. */
  endpoints(): readonly Endpoint[];
  /** Every subscription: config, API-created and the ones implied by endpoints' event types. */
  subscriptions(): readonly ManagedSubscription[];
  subscription(id: string): ManagedSubscription | undefined;
  ownerEndpointIds(owner: string): string[];
  owners(): string[];
  createEndpoint(record: StoredEndpoint): Promise<boolean>;
  updateEndpoint(record: StoredEndpoint): Promise<boolean>;
  /** Turns an API endpoint into a tombstone (its subscriptions stop routing to it at once). */
  deleteEndpoint(id: string, at: number): Promise<boolean>;
  putSubscription(record: StoredSubscription, create: boolean): Promise<boolean>;
  deleteSubscription(id: string): Promise<boolean>;
  /** The event-type catalogue, sorted by name. */
  eventTypes(): readonly ManagedEventType[];
  eventType(name: string): ManagedEventType | undefined;
  /** False when the name belongs to a config type, or (create) exists / (replace) does not exist. */
  putEventType(record: StoredEventType, create: boolean): Promise<boolean>;
  deleteEventType(name: string): Promise<boolean>;
  /** Called after every change, local or noticed by refresh (the runtime rebuilds its router). */
  onChange(listener: () => void): () => void;
}

export function createEndpointRegistry(options: EndpointRegistryOptions): EndpointRegistry {
  const { storage, store } = options;
  const fromConfig = new Map<string, ManagedEndpoint>(
    options.configEndpoints.map((endpoint) => [endpoint.id, { endpoint, source: "config", eventTypes: [] }]),
  );
  const configSubscriptions: ManagedSubscription[] = options.configSubscriptions.map((s) => ({
    ...s,
    source: "config",
  }));
  const configTypes = new Map<string, ManagedEventType>(
    (options.configEventTypes ?? []).map((type) => [type.name, { ...type, source: "config" }]),
  );
  let eventTypes = new Map<string, ManagedEventType>(configTypes);
  let managed = new Map<string, ManagedEndpoint>(fromConfig);
  let tombstones = new Map<string, Endpoint>();
  let storedById = new Map<string, StoredEndpoint>();
  let subscriptions: ManagedSubscription[] = [...configSubscriptions];
  let version: string | undefined;
  const listeners = new Set<() => void>();

  async function reload(): Promise<void> {
    const seen = await storage.version();
    const [stored, storedSubscriptions, storedTypes] = await Promise.all([
      storage.listEndpoints(),
      storage.listSubscriptions(),
      storage.listEventTypes(),
    ]);
    const nextTypes = new Map(configTypes);
    for (const type of storedTypes) {
      if (!nextTypes.has(type.name)) nextTypes.set(type.name, { ...type, source: "api" });
    }
    eventTypes = new Map([...nextTypes.entries()].sort(([a], [b]) => (a < b ? -1 : 1)));
    const next = new Map(fromConfig);
    const nextTombstones = new Map<string, Endpoint>();
    for (const record of stored) {
      // A config endpoint wins over an API one of the same id (the API refuses to create such ids).
      if (next.has(record.endpoint.id)) continue;
      if (record.deletedAt === undefined) next.set(record.endpoint.id, { ...record, source: "api" });
      else nextTombstones.set(record.endpoint.id, tombstoneOf(record.endpoint));
    }
    const apiEndpoints = [...next.values()].filter((m) => m.source === "api");
    const synced = [...apiEndpoints.map((m) => m.endpoint), ...nextTombstones.values()];
    if (synced.length > 0) await store.syncEndpoints(synced);
    managed = next;
    tombstones = nextTombstones;
    storedById = new Map(stored.map((record) => [record.endpoint.id, record]));
    subscriptions = [
      ...configSubscriptions,
      ...storedSubscriptions
        .filter((s) => !configSubscriptions.some((c) => c.id === s.id))
        // A deleted endpoint leaves its subscriptions; one left with no endpoint routes nothing.
        .map(
          (s): ManagedSubscription => ({
            ...pickSubscription(s),
            endpoints: s.endpoints.filter((id) => !nextTombstones.has(id)),
            source: "api",
          }),
        )
        .filter((s) => s.endpoints.length > 0),
      ...apiEndpoints
        .filter((m) => m.eventTypes.length > 0)
        .map(
          (m): ManagedSubscription => ({
            id: `endpoint:${m.endpoint.id}`,
            endpoints: [m.endpoint.id],
            types: m.eventTypes,
            enabled: true,
            source: "endpoint",
          }),
        ),
    ];
    version = seen;
    for (const listener of listeners) listener();
  }

  async function written(ok: boolean): Promise<boolean> {
    if (ok) await reload();
    return ok;
  }

  return {
    load: reload,
    async refresh() {
      if ((await storage.version()) === version) return false;
      await reload();
      return true;
    },
    watch(intervalMs) {
      let running = false;
      const timer = setInterval(() => {
        if (running) return;
        running = true;
        this.refresh()
          .catch(() => undefined) // Redis briefly away: the next tick tries again
          .finally(() => {
            running = false;
          });
      }, intervalMs);
      timer.unref();
      return () => clearInterval(timer);
    },
    get: (id) => managed.get(id)?.endpoint ?? tombstones.get(id),
    isDeleted: (id) => tombstones.has(id),
    managed: (id) => managed.get(id),
    list: () => [...managed.values()],
    endpoints: () => [...managed.values()].map((m) => m.endpoint),
    subscriptions: () => subscriptions,
    subscription: (id) => subscriptions.find((s) => s.id === id),
    ownerEndpointIds: (owner) =>
      [...managed.values()].filter((m) => m.endpoint.owner === owner).map((m) => m.endpoint.id),
    owners: () => [...new Set([...managed.values()].map((m) => m.endpoint.owner))].sort(),
    async createEndpoint(record) {
      if (fromConfig.has(record.endpoint.id)) return false;
      return written(await storage.putEndpoint(record, true));
    },
    async updateEndpoint(record) {
      if (fromConfig.has(record.endpoint.id)) return false;
      return written(await storage.putEndpoint(record, false));
    },
    async deleteEndpoint(id, at) {
      const record = storedById.get(id);
      if (fromConfig.has(id) || record === undefined || record.deletedAt !== undefined) return false;
      return written(await storage.putEndpoint({ ...record, eventTypes: [], updatedAt: at, deletedAt: at }, false));
    },
    async putSubscription(record, create) {
      if (configSubscriptions.some((s) => s.id === record.id)) return false;
      return written(await storage.putSubscription(record, create));
    },
    async deleteSubscription(id) {
      return written(await storage.deleteSubscription(id));
    },
    eventTypes: () => [...eventTypes.values()],
    eventType: (name) => eventTypes.get(name),
    async putEventType(record, create) {
      if (configTypes.has(record.name)) return false;
      return written(await storage.putEventType(record, create));
    },
    async deleteEventType(name) {
      if (configTypes.has(name)) return false;
      return written(await storage.deleteEventType(name));
    },
    onChange(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
  };
}

function pickSubscription(s: StoredSubscription): AdminSubscription {
  return {
    id: s.id,
    endpoints: s.endpoints,
    types: s.types,
    enabled: s.enabled,
    ...(s.filter === undefined ? {} : { filter: s.filter }),
  };
}
