/** Calls the admin API with the key or portal token kept in this tab's session storage. */
const CREDENTIAL = "hookyard.credential";

export function credential(): string | null {
  return sessionStorage.getItem(CREDENTIAL);
}

export function setCredential(value: string | null): void {
  if (value === null) sessionStorage.removeItem(CREDENTIAL);
  else sessionStorage.setItem(CREDENTIAL, value);
}

export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export async function api<T = Record<string, unknown>>(
  path: string,
  options: { method?: string; body?: unknown } = {},
): Promise<T> {
  const headers: Record<string, string> = { authorization: `Bearer ${credential() ?? ""}` };
  if (options.body !== undefined) headers["content-type"] = "application/json";
  const response = await fetch(`/admin/v1${path}`, {
    method: options.method ?? "GET",
    headers,
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  });
  if (response.status === 204) return {} as T;
  const body = (await response.json().catch(() => ({}))) as { error?: { code: string; message: string } };
  if (!response.ok) {
    throw new ApiFailure(response.status, body.error?.code ?? "ERROR", body.error?.message ?? response.statusText);
  }
  return body as T;
}

export function queryString(params: Record<string, string | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value) search.set(key, value);
  const text = search.toString();
  return text === "" ? "" : `?${text}`;
}

export interface Me {
  kind: "admin" | "portal";
  owner?: string;
  keyId?: string;
  /** Portal tokens: read (see only) or manage. */
  scope?: "read" | "manage";
}

/** Whether the credential may change things (operators always; portal tokens when manage-level). */
export function canManage(me: Me): boolean {
  return me.kind === "admin" || me.scope === "manage";
}

export interface EventType {
  name: string;
  description: string;
  group?: string;
  schema?: Record<string, unknown>;
  example?: unknown;
  deprecated: boolean;
  validation: "reject" | "warn" | "off";
}

export interface Branding {
  name?: string;
  logoUrl?: string;
  colors?: { accent?: string; background?: string; text?: string };
  theme: "light" | "dark" | "auto";
  frameAncestors: string[];
}

export interface Endpoint {
  id: string;
  owner: string;
  url: string;
  enabled: boolean;
  source: "config" | "api";
  eventTypes: string[];
  description?: string;
  secrets: { fingerprint: string; expiresAt?: string }[];
}

export interface Health {
  enabled: boolean;
  disabledReason?: string;
  breaker: string;
  queued: number;
  inFlight: number;
  dead: number;
  successRate: number | null;
  sampleSize: number;
  lastError?: { deliveryId: string; at?: string; status?: number; errorClass?: string; message?: string };
  nextRetryAt?: string;
}

export interface Attempt {
  startedAt: string;
  durationMs: number;
  status?: number;
  errorClass?: string;
  errorMessage?: string;
  requestHeaders?: Record<string, string>;
  responseHeaders?: Record<string, string>;
  responseBody?: string;
  responseBodyTruncated?: boolean;
}

export interface DeliverySummary {
  deliveryId: string;
  endpointId: string;
  status: string;
  attempts: number;
  createdAt: string;
  eventId?: string;
  type?: string;
  deadReason?: string;
  lastAttempt?: Attempt;
}

export interface Bucket {
  start: string;
  /** Absent from servers before bucket ends were reported. */
  end?: string;
  delivered: number;
  failed: number;
  pending: number;
  latencyAvgMs: number | null;
  latencyP95Ms: number | null;
}

/** What keeps queued deliveries from being sent now. */
export interface Hold {
  heldBy: "breaker" | "disabled";
  reason: string;
  until?: string;
}

/** An endpoint's live deliveries (GET /queues). */
export interface LiveQueue {
  endpointId: string;
  queued: number;
  inFlight: number;
  breaker: "closed" | "open" | "half-open";
  hold?: Hold;
}
