import type { StoredEventType } from "../catalogue/event-type.js";
import type { AuditEntry, ReplayJob, StoredEndpoint, StoredSubscription } from "./records.js";

/**
 * Where the admin API keeps its own data: endpoints, subscriptions and event types created through it, the audit
 * log, replay jobs. Two implementations: Redis (shared by every instance, under the scheduler's hash tag) and memory (for
 * the embedded store). `version` changes with every endpoint, subscription or event-type write, so instances notice changes
 * made elsewhere with one cheap read.
 */
export interface AdminStorage {
  listEndpoints(): Promise<StoredEndpoint[]>;
  /** Creates when `create` (false if the id exists), else replaces (false if it does not exist). */
  putEndpoint(record: StoredEndpoint, create: boolean): Promise<boolean>;
  listSubscriptions(): Promise<StoredSubscription[]>;
  putSubscription(record: StoredSubscription, create: boolean): Promise<boolean>;
  deleteSubscription(id: string): Promise<boolean>;
  listEventTypes(): Promise<StoredEventType[]>;
  putEventType(record: StoredEventType, create: boolean): Promise<boolean>;
  deleteEventType(name: string): Promise<boolean>;
  version(): Promise<string>;

  appendAudit(entry: AuditEntry): Promise<void>;
  /** Newest first. */
  listAudit(limit: number): Promise<AuditEntry[]>;

  putJob(job: ReplayJob): Promise<void>;
  getJob(id: string): Promise<ReplayJob | undefined>;
  /** Newest first. */
  listJobs(limit: number): Promise<ReplayJob[]>;
}
