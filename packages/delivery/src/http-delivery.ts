import { performance } from "node:perf_hooks";
import type { AttemptRecord, DeliveryOutcome, Endpoint, Envelope } from "@hookyard/core";
import type { Tracer } from "@opentelemetry/api";
import type { Dispatcher } from "undici";
import { outcomeForStatus } from "./classify-response.js";
import { createDispatcherSet } from "./dispatchers.js";
import { type PreparedEndpoint, prepareEndpoint } from "./endpoint-validation.js";
import { describeError, errorClassOf } from "./error-class.js";
import { type ResolveHost, systemResolver } from "./guarded-connect.js";
import { type AttemptTrace, headersFor } from "./request-headers.js";
import { collectResponse, type ResponseHeaders } from "./response-collector.js";
import { createSigner, type Signer } from "./signer.js";
import { createSsrfGuard, type SsrfGuardOptions } from "./ssrf-guard.js";
import { traceAttempts } from "./traced-attempt.js";
import { type WebhookBody, webhookBody } from "./webhook-body.js";

export interface HttpDeliveryOptions {
  /** SSRF guard: on by default; `allow` lists CIDRs let through (e.g. ["10.20.0.0/16"] for internal endpoints). */
  readonly ssrf?: SsrfGuardOptions;
  /** DNS resolution used by the guard at connect time. Default: getaddrinfo via node:dns/promises. */
  readonly resolve?: ResolveHost;
  /** HTTP CONNECT egress proxy for endpoints without their own `proxy`. */
  readonly proxy?: string;
  /** TCP + TLS handshake limit. Default 10 s (always bounded by the endpoint's timeoutMs too). */
  readonly connectTimeoutMs?: number;
  /** Limit from request sent to response headers. Default 30 s, bounded by the endpoint's timeoutMs. */
  readonly headersTimeoutMs?: number;
  /** Longest silence between two response body chunks. Default 10 s, bounded by the endpoint's timeoutMs. */
  readonly bodyTimeoutMs?: number;
  /** Response body bytes kept for the attempt log; reading stops past this. Default 64 KiB. */
  readonly maxResponseBodyBytes?: number;
  /** How long an idle keep-alive connection is kept. Default 4 s (undici's default). */
  readonly keepAliveTimeoutMs?: number;
  /** Most sockets per origin (default: unbounded; the scheduler bounds per-endpoint concurrency). */
  readonly connectionsPerOrigin?: number;
  /** Default `Hookyard/<version>`. */
  readonly userAgent?: string;
  /** Shared signer (its key cache); default a new one. */
  readonly signer?: Signer;
  /**
   * The deployment's clock (ms since the epoch): `webhook-timestamp` and the signature over it, the attempt's
   * `startedAt`, secret expiry and `Retry-After` dates are read from it. The gateway passes the scheduler's store
   * clock (Redis time), so a host whose clock is off still signs with the time the receivers and the other
   * instances agree on. Default `Date.now`.
   */
  readonly now?: () => number;
  /**
   * OpenTelemetry tracer: each attempt becomes an HTTP client span, child of the event's trace context, and its
   * `traceparent` is the one sent. Without it (tracing off) the event's own trace context is sent as it is.
   */
  readonly tracer?: Tracer;
}

export interface SendOptions {
  /** Aborts the attempt (shutdown); the outcome is then a retry. */
  readonly signal?: AbortSignal;
}

export interface HttpDelivery {
  /**
   * One signed POST of `envelope` to `endpoint` (its body per the endpoint's `payload`, see `webhookBody`), classified for the scheduler. Never rejects for anything the
   * endpoint or the network does; `attemptNumber` (1-based) is informational.
   */
  send(endpoint: Endpoint, envelope: Envelope, attemptNumber: number, options?: SendOptions): Promise<DeliveryOutcome>;
  /** Closes every pooled connection once in-flight attempts finish. */
  close(): Promise<void>;
}

export const DEFAULT_MAX_RESPONSE_BODY_BYTES = 64 * 1024;

export function createHttpDelivery(options: HttpDeliveryOptions = {}): HttpDelivery {
  const guard = createSsrfGuard(options.ssrf);
  const signer = options.signer ?? createSigner();
  const now = options.now ?? Date.now;
  const connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
  const headersTimeoutMs = options.headersTimeoutMs ?? 30_000;
  const bodyTimeoutMs = options.bodyTimeoutMs ?? 10_000;
  const maxBodyBytes = options.maxResponseBodyBytes ?? DEFAULT_MAX_RESPONSE_BODY_BYTES;
  const dispatchers = createDispatcherSet({
    guard,
    guardTunnels: options.ssrf?.enabled !== false,
    resolve: options.resolve ?? systemResolver,
    connectTimeoutMs,
    keepAliveTimeoutMs: options.keepAliveTimeoutMs ?? 4_000,
    connectionsPerOrigin: options.connectionsPerOrigin,
    proxy: options.proxy,
  });
  // Validated once per endpoint object; config reloads produce new objects and are validated again.
  const prepared = new WeakMap<Endpoint, { target: PreparedEndpoint; dispatcher: Dispatcher }>();
  let closed = false;

  async function send(
    endpoint: Endpoint,
    envelope: Envelope,
    _attemptNumber: number,
    sendOptions: SendOptions = {},
    trace: AttemptTrace = envelope,
  ): Promise<DeliveryOutcome> {
    if (closed) throw new Error("http delivery is closed");
    const startedAtMs = now();
    const started = performance.now();
    const startedAt = new Date(startedAtMs).toISOString();

    let target: PreparedEndpoint;
    let dispatcher: Dispatcher;
    let headers: ReturnType<typeof headersFor>;
    let body: WebhookBody;
    try {
      ({ target, dispatcher } = prepared.get(endpoint) ?? prepareOnce(endpoint, startedAtMs));
      body = webhookBody(endpoint, envelope);
      headers = headersFor(target, envelope, body, startedAtMs, signer, options.userAgent, trace);
    } catch (error) {
      // An endpoint or event that can never be sent as is: dead-letter now rather than retry for days.
      const durationMs = Math.round(performance.now() - started);
      return { kind: "rejected", attempt: { startedAt, durationMs, errorMessage: describeError(error) } };
    }

    const timeoutMs = endpoint.policy.timeoutMs;
    const response = await collectResponse(
      dispatcher,
      {
        origin: target.origin,
        path: target.path,
        method: "POST",
        headers: headers.sent,
        body: body.bytes,
        headersTimeout: Math.min(headersTimeoutMs, timeoutMs),
        bodyTimeout: Math.min(bodyTimeoutMs, timeoutMs),
      },
      { maxBodyBytes, timeoutMs, signal: sendOptions.signal },
    );
    const durationMs = Math.round(performance.now() - started);
    const { status, error } = response;

    if (status === undefined) {
      const errorClass = response.deadlineExceeded ? "timeout" : errorClassOf(error);
      const record: AttemptRecord = {
        startedAt,
        requestHeaders: headers.recorded,
        durationMs,
        errorClass,
        errorMessage: response.deadlineExceeded ? `attempt deadline of ${timeoutMs} ms exceeded` : describeError(error),
      };
      if (errorClass === "ssrf_blocked") return { kind: "rejected", attempt: record };
      if (errorClass === "timeout") {
        return { kind: "retry", attempt: record, delayMs: endpoint.policy.retry.minThrottleDelayMs };
      }
      return { kind: "retry", attempt: record };
    }

    const errorMessage =
      error === undefined
        ? redirectNote(status, response.headers.location)
        : `response body read failed: ${response.deadlineExceeded ? "deadline exceeded" : describeError(error)}`;
    const record: AttemptRecord = {
      startedAt,
      requestHeaders: headers.recorded,
      durationMs,
      status,
      responseHeaders: flattenHeaders(response.headers),
      responseBody: response.body,
      responseBodyTruncated: response.truncated,
      ...(errorMessage === undefined ? {} : { errorMessage }),
    };
    // One deadline covers the whole attempt, body included: a response that did not finish (a body that drips or
    // stalls past the deadline, or breaks off) is a failed attempt whatever its status line said, so an endpoint
    // that answers 200 and then holds the connection cannot count as healthy while it holds a delivery slot. (When
    // our own shutdown cut the body, the status line stands: the endpoint answered, we stopped listening.)
    if (error !== undefined && sendOptions.signal?.aborted !== true) {
      const errorClass = response.deadlineExceeded ? "timeout" : errorClassOf(error);
      const attempt: AttemptRecord = { ...record, errorClass };
      if (errorClass === "timeout") {
        return { kind: "retry", attempt, delayMs: endpoint.policy.retry.minThrottleDelayMs };
      }
      return { kind: "retry", attempt };
    }
    return outcomeForStatus(status, firstValue(response.headers["retry-after"]), endpoint.policy.retry, record, now());
  }

  function prepareOnce(endpoint: Endpoint, nowMs: number): { target: PreparedEndpoint; dispatcher: Dispatcher } {
    const result = { target: prepareEndpoint(endpoint, nowMs), dispatcher: dispatchers.forEndpoint(endpoint) };
    prepared.set(endpoint, result);
    return result;
  }

  return {
    send: options.tracer === undefined ? send : traceAttempts(send, options.tracer),
    async close() {
      closed = true;
      await dispatchers.close();
    },
  };
}

function redirectNote(status: number, location: unknown): string | undefined {
  if (status < 300 || status >= 400) return undefined;
  const to = firstValue(location);
  return to === undefined ? `HTTP ${status}, not followed` : `HTTP ${status} to ${to}, not followed`;
}

function firstValue(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  if (Array.isArray(value) && typeof value[0] === "string") return value[0];
  return undefined;
}

function flattenHeaders(headers: ResponseHeaders): Record<string, string> {
  const flat: Record<string, string> = {};
  // for-in rather than Object.entries: no [name, value] array per header. undici's object has no inherited keys.
  for (const name in headers) {
    const value = headers[name];
    if (value !== undefined) flat[name] = typeof value === "string" ? value : value.join(", ");
  }
  return flat;
}
