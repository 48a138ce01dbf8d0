import type { Endpoint, FilterSpec } from "@hookyard/core";

/** An endpoint created through the admin API, as stored. */
export interface StoredEndpoint {
  readonly endpoint: Endpoint;
  /** Event types (exact or globs) routed to it: an implicit subscription `endpoint:<id>`. */
  readonly eventTypes: readonly string[];
  readonly description?: string;
  readonly createdAt: number;
  readonly updatedAt: number;
  /** Set when deleted through the API: the record stays as a tombstone (see deleted-endpoint.ts). */
  readonly deletedAt?: number;
}

/** A subscription: events of these types (and matching the filter) go to these endpoints. */
export interface AdminSubscription {
  readonly id: string;
  readonly endpoints: readonly string[];
  readonly types: readonly string[];
  readonly filter?: FilterSpec;
  readonly enabled: boolean;
}

export interface StoredSubscription extends AdminSubscription {
  readonly createdAt: number;
  readonly updatedAt: number;
}

/** One change, as the audit log keeps it. `before`/`after` never hold secrets. */
export interface AuditEntry {
  readonly id: string;
  readonly at: number;
  readonly actor: { readonly kind: string; readonly id: string };
  readonly action: string;
  readonly target: { readonly kind: string; readonly id: string };
  readonly before?: unknown;
  readonly after?: unknown;
}

export type ReplayJobState = "running" | "done" | "failed";

/** A bulk replay: settled deliveries of one endpoint in a time range (optionally one status) queued again. */
export interface ReplayJob {
  readonly id: string;
  readonly owner: string;
  readonly endpointId: string;
  readonly from?: number;
  readonly before?: number;
  readonly status?: "delivered" | "dead";
  readonly state: ReplayJobState;
  /** Deliveries of the range examined so far. */
  readonly scanned: number;
  /** Deliveries queued again so far. */
  readonly replayed: number;
  readonly createdAt: number;
  /** Updated after every batch: a running job not updated for a minute is reported stalled. */
  readonly updatedAt: number;
  readonly finishedAt?: number;
  readonly error?: string;
  readonly createdBy: { readonly kind: string; readonly id: string };
}

/** Audit entries kept (newest). */
export const AUDIT_KEPT = 10_000;
/** Replay jobs listed (newest); each is kept a week. */
export const JOBS_KEPT = 200;
export const JOB_RETENTION_MS = 7 * 24 * 60 * 60 * 1000;
