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

/** What the config file contributes to the registry. */
export interface ConfigRecords {
  readonly endpoints: readonly Endpoint[];
  readonly subscriptions: readonly AdminSubscription[];
  readonly eventTypes: readonly EventType[];
}

/** Why a new config cannot replace the running one: a key path of the file, as `validate` names them. */
export interface ConfigConflict {
  readonly path: string;
  readonly expected: string;
  readonly found: string;
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
  /**
   * Swaps the config file's endpoints, subscriptions and event types (a config reload) and reloads. Refused with
   * nothing changed — the conflicts returned — when the new file would take over an id or name the admin API
   * created, or leave an API subscription naming an endpoint that no longer exists.
   */
  replaceConfig(next: ConfigRecords): Promise<readonly ConfigConflict[]>;
  /** The conflicts `replaceConfig` would refuse `next` for, without changing anything. */
  checkConfig(next: ConfigRecords): readonly ConfigConflict[];
  /** Called after every change, local or noticed by refresh (the runtime rebuilds its router). */
  onChange(listener: () => void): () => void;
}

export function createEndpointRegistry(options: EndpointRegistryOptions): EndpointRegistry {
  const { storage, store } = options;
  let fromConfig = configEndpointsOf(options.configEndpoints);
  let configSubscriptions = configSubscriptionsOf(options.configSubscriptions);
  let configTypes = configTypesOf(options.configEventTypes ?? []);
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

  function checkConfig(next: ConfigRecords): ConfigConflict[] {
    return configConflicts(next, {
      configEndpointIds: new Set(fromConfig.keys()),
      apiEndpointIds: new Set([...storedById.keys()].filter((id) => !fromConfig.has(id))),
      subscriptions,
      eventTypes: [...eventTypes.values()],
    });
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
    checkConfig,
    async replaceConfig(next) {
      const conflicts = checkConfig(next);
      if (conflicts.length > 0) return conflicts;
      fromConfig = configEndpointsOf(next.endpoints);
      configSubscriptions = configSubscriptionsOf(next.subscriptions);
      configTypes = configTypesOf(next.eventTypes);
      await reload();
      return [];
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

function configEndpointsOf(endpoints: readonly Endpoint[]): Map<string, ManagedEndpoint> {
  return new Map(endpoints.map((endpoint) => [endpoint.id, { endpoint, source: "config", eventTypes: [] }]));
}

function configSubscriptionsOf(list: readonly AdminSubscription[]): ManagedSubscription[] {
  return list.map((s) => ({ ...s, source: "config" }));
}

function configTypesOf(types: readonly EventType[]): Map<string, ManagedEventType> {
  return new Map(types.map((type) => [type.name, { ...type, source: "config" }]));
}

/**
 * What the admin API owns and a new config file may not take over: ids of API endpoints (deleted ones too: their
 * queued deliveries are dead-lettered by that id), API subscriptions and event types; and endpoints that API
 * subscriptions still name.
 */
function configConflicts(
  next: ConfigRecords,
  running: {
    readonly configEndpointIds: ReadonlySet<string>;
    readonly apiEndpointIds: ReadonlySet<string>;
    readonly subscriptions: readonly ManagedSubscription[];
    readonly eventTypes: readonly ManagedEventType[];
  },
): ConfigConflict[] {
  const conflicts: ConfigConflict[] = [];
  const taken = "an id not used by the admin API";
  for (const [index, endpoint] of next.endpoints.entries()) {
    if (!running.apiEndpointIds.has(endpoint.id)) continue;
    const found = `${JSON.stringify(endpoint.id)}, an endpoint created through the admin API`;
    conflicts.push({ path: `endpoints[${index}].id`, expected: taken, found });
  }
  const apiSubscriptions = running.subscriptions.filter((s) => s.source !== "config");
  for (const [index, subscription] of next.subscriptions.entries()) {
    if (!apiSubscriptions.some((s) => s.id === subscription.id)) continue;
    const found = `${JSON.stringify(subscription.id)}, a subscription created through the admin API`;
    conflicts.push({ path: `subscriptions[${index}].id`, expected: taken, found });
  }
  for (const [index, type] of next.eventTypes.entries()) {
    if (!running.eventTypes.some((t) => t.name === type.name && t.source === "api")) continue;
    const found = `${JSON.stringify(type.name)}, an event type created through the admin API`;
    conflicts.push({ path: `eventTypes[${index}].name`, expected: "a name not used by the admin API", found });
  }
  const kept = new Set(next.endpoints.map((endpoint) => endpoint.id));
  for (const subscription of apiSubscriptions) {
    for (const id of subscription.endpoints) {
      if (kept.has(id) || running.apiEndpointIds.has(id) || !running.configEndpointIds.has(id)) continue;
      conflicts.push({
        path: "endpoints",
        expected: `endpoint ${JSON.stringify(id)}, which admin API subscription ${JSON.stringify(subscription.id)} names`,
        found: "none (change or delete that subscription first)",
      });
    }
  }
  return conflicts;
}
