/**
 * How one delivery attempt ended, as the delivery package classifies it for the scheduler.
 * - `delivered`: a 2xx.
 * - `retry`: a transient failure (5xx, timeout, connection error, 429, 3xx); `delayMs`, when set, is the least
 *   wait the endpoint asked for (Retry-After) or the policy demands (timeouts, 429).
 * - `gone`: a 410: the endpoint is disabled; its deliveries stay stored for replay.
 * - `rejected`: will never succeed as sent (e.g. the URL is refused by the SSRF guard); dead-letter at once.
 */
export type DeliveryOutcome =
  | { readonly kind: "delivered"; readonly attempt: AttemptRecord }
  | { readonly kind: "retry"; readonly attempt: AttemptRecord; readonly delayMs?: number }
  | { readonly kind: "gone"; readonly attempt: AttemptRecord }
  | { readonly kind: "rejected"; readonly attempt: AttemptRecord };

/** Error classes of a failed attempt, stable for dashboards and metrics. */
export type AttemptErrorClass =
  | "http_status"
  | "timeout"
  | "connect"
  | "dns"
  | "tls"
  | "ssrf_blocked"
  | "redirect"
  | "body_too_large"
  | "network";

/** One attempt as the attempt log keeps it. Response bodies are capped. */
export interface AttemptRecord {
  /** ISO time the request started. */
  readonly startedAt: string;
  readonly durationMs: number;
  readonly status?: number;
  readonly errorClass?: AttemptErrorClass;
  readonly errorMessage?: string;
  readonly requestHeaders?: Readonly<Record<string, string>>;
  readonly responseHeaders?: Readonly<Record<string, string>>;
  /** Response body, UTF-8, truncated to the cap. */
  readonly responseBody?: string;
  readonly responseBodyTruncated?: boolean;
  /**
   * Set by the scheduler when the result arrived after its lease was lost (expired and re-leased, or fenced off
   * by a newer claim): kept in the delivery's attempt log for the record, not applied.
   */
  readonly stale?: boolean;
}
