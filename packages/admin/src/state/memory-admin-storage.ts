import type { StoredEventType } from "../catalogue/event-type.js";
import type { AdminStorage } from "./admin-storage.js";
import {
  AUDIT_KEPT,
  type AuditEntry,
  JOBS_KEPT,
  type ReplayJob,
  type StoredEndpoint,
  type StoredSubscription,
} from "./records.js";

/** In-process admin storage, for the embedded (not durable) store. */
export function createMemoryAdminStorage(): AdminStorage {
  const endpoints = new Map<string, StoredEndpoint>();
  const subscriptions = new Map<string, StoredSubscription>();
  const eventTypes = new Map<string, StoredEventType>();
  const audit: AuditEntry[] = [];
  const jobs = new Map<string, ReplayJob>();
  let version = 0;

  function put<T>(map: Map<string, T>, id: string, record: T, create: boolean): boolean {
    if (map.has(id) === create) return false;
    map.set(id, record);
    version += 1;
    return true;
  }

  return {
    async listEndpoints() {
      return [...endpoints.values()];
    },
    async putEndpoint(record, create) {
      return put(endpoints, record.endpoint.id, record, create);
    },
    async listSubscriptions() {
      return [...subscriptions.values()];
    },
    async putSubscription(record, create) {
      return put(subscriptions, record.id, record, create);
    },
    async deleteSubscription(id) {
      const deleted = subscriptions.delete(id);
      if (deleted) version += 1;
      return deleted;
    },
    async listEventTypes() {
      return [...eventTypes.values()];
    },
    async putEventType(record, create) {
      return put(eventTypes, record.name, record, create);
    },
    async deleteEventType(name) {
      const deleted = eventTypes.delete(name);
      if (deleted) version += 1;
      return deleted;
    },
    async version() {
      return String(version);
    },
    async appendAudit(entry) {
      audit.unshift(entry);
      if (audit.length > AUDIT_KEPT) audit.length = AUDIT_KEPT;
    },
    async listAudit(limit) {
      return audit.slice(0, limit);
    },
    async putJob(job) {
      jobs.delete(job.id);
      jobs.set(job.id, job);
      if (jobs.size > JOBS_KEPT) {
        const oldest = jobs.keys().next().value;
        if (oldest !== undefined) jobs.delete(oldest);
      }
    },
    async getJob(id) {
      return jobs.get(id);
    },
    async listJobs(limit) {
      return [...jobs.values()].sort((a, b) => b.createdAt - a.createdAt).slice(0, limit);
    },
  };
}
