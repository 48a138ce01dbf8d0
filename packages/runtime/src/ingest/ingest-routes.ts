import type { PayloadProblem } from "@hookyard/admin";
import {
  createSecretCheck,
  type Envelope,
  HookyardError,
  presentedApiKey,
  type TraceContext,
  traceContextOf,
  withTimeout,
  withTraceContext,
} from "@hookyard/core";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Accept, AcceptResult } from "../gateway/accept.js";
import type { PayloadCheck } from "../gateway/payload-check.js";
import { sendApiError } from "../http/api-error.js";
import type { Metrics } from "../metrics.js";
import { fromStructured, parseIngestBatch, parseIngestEvent } from "./parse-event.js";

export interface IngestOptions {
  /** The accepted keys, or a function answering the current ones (a config reload may change them). */
  readonly apiKeys: readonly string[] | (() => readonly string[]);
  readonly maxBodyBytes: number;
  readonly maxBatchEvents: number;
  readonly maxJsonDepth: number;
  readonly accept: Accept;
  readonly metrics: Metrics;
  /** Payloads against the event-type catalogue (a failing `reject` type answers 422 PAYLOAD_INVALID). */
  readonly checkPayload?: PayloadCheck;
  /** Longest a request waits for its events to become durable before 503 with Retry-After. Default 1000 ms. */
  readonly storeTimeoutMs?: number;
}

/**
 * The HTTP ingest source: `POST /v1/events` (one event) and `POST /v1/events/batch`. Answers 202 only once every
 * event is durable in the scheduler; a repeated event id answers with the first call's result.
 */
export async function registerIngestRoutes(app: FastifyInstance, options: IngestOptions): Promise<void> {
  const keys = options.apiKeys;
  const currentKeys = typeof keys === "function" ? keys : () => keys;
  let checked = currentKeys();
  let keyIndex = createSecretCheck(checked);
  const authorized = (request: FastifyRequest) => {
    const now = currentKeys();
    if (now !== checked) {
      checked = now;
      keyIndex = createSecretCheck(now);
    }
    const key = presentedApiKey(request.headers);
    return key !== undefined && keyIndex(key) !== -1;
  };
  const storeTimeoutMs = options.storeTimeoutMs ?? 1000;
  await app.register(async (scope) => {
    // The body is read as raw bytes: binary-mode payloads must stay byte-exact, and JSON is parsed here so
    // its errors are ours to word.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser("*", { parseAs: "buffer", bodyLimit: options.maxBodyBytes }, (_request, body, done) =>
      done(null, body),
    );
    scope.addHook("onRequest", async (request, reply) => {
      if (!authorized(request)) {
        options.metrics.eventsRejected.inc({ source: "http", reason: "unauthorized" });
        return sendApiError(reply, 401, "UNAUTHORIZED", "a valid API key is required (Authorization: Bearer <key>)");
      }
    });

    scope.post("/v1/events", async (request, reply) => {
      let envelope: Envelope;
      try {
        envelope = withProducerTrace(parseIngestEvent(request.headers, bodyOf(request.body), options), request);
      } catch (error) {
        return rejectInvalid(reply, error, options.metrics);
      }
      const problem = options.checkPayload?.(envelope, "http");
      if (problem !== undefined) return rejectPayload(reply, problem, undefined, options.metrics);
      const result = await acceptOrUnavailable(reply, storeTimeoutMs, () => options.accept(envelope));
      if (result) return reply.code(202).header("idempotent-replayed", String(result.duplicate)).send(result);
      return reply;
    });

    scope.post("/v1/events/batch", async (request, reply) => {
      let envelopes: Envelope[];
      try {
        const events = parseIngestBatch(bodyOf(request.body), options.maxBatchEvents, options);
        envelopes = events.map((event, index) =>
          withProducerTrace(fromStructured(event, `events[${index}]`, options), request),
        );
      } catch (error) {
        return rejectInvalid(reply, error, options.metrics);
      }
      for (const [index, envelope] of envelopes.entries()) {
        const problem = options.checkPayload?.(envelope, "http");
        if (problem !== undefined) return rejectPayload(reply, problem, index, options.metrics);
      }
      // Validated as a whole first, so a bad event never leaves half a batch accepted.
      const results = await acceptOrUnavailable(reply, storeTimeoutMs, () =>
        Promise.all(envelopes.map((e) => options.accept(e))),
      );
      if (results) return reply.code(202).send({ events: results });
      return reply;
    });
  });
}

/**
 * The producer's W3C trace context: an event's own `headers.traceparent` (a batch may mix traces), else the
 * request's `traceparent`/`tracestate` headers. Kept on the envelope, so the webhook attempts continue that trace.
 */
function withProducerTrace(envelope: Envelope, request: FastifyRequest): Envelope {
  const context: TraceContext | undefined = traceContextOf(envelope.headers) ?? traceContextOf(request.headers);
  return context === undefined ? envelope : withTraceContext(envelope, context);
}

function bodyOf(body: unknown): Buffer {
  return Buffer.isBuffer(body) ? body : Buffer.alloc(0);
}

function rejectInvalid(reply: FastifyReply, error: unknown, metrics: Metrics) {
  if (error instanceof HookyardError && error.code === "INGEST_INVALID") {
    metrics.eventsRejected.inc({ source: "http", reason: "invalid" });
    return sendApiError(reply, 400, error.code, error.message);
  }
  throw error;
}

function rejectPayload(reply: FastifyReply, problem: PayloadProblem, index: number | undefined, metrics: Metrics) {
  metrics.eventsRejected.inc({ source: "http", reason: "schema" });
  const where = index === undefined ? "" : `events[${index}]: `;
  return sendApiError(
    reply,
    422,
    "PAYLOAD_INVALID",
    `${where}event type ${JSON.stringify(problem.type)}: ${problem.message}`,
    {
      type: problem.type,
      path: problem.path,
      pointer: problem.pointer,
      ...(index === undefined ? {} : { index }),
    },
  );
}

async function acceptOrUnavailable<T extends AcceptResult | AcceptResult[]>(
  reply: FastifyReply,
  storeTimeoutMs: number,
  run: () => Promise<T>,
): Promise<T | undefined> {
  try {
    // A hung Redis must not hold the client: past the budget it is told 503 and retries (a late write is
    // de-duplicated by the event id).
    return await withTimeout(
      run(),
      storeTimeoutMs,
      () =>
        new HookyardError("STORE_TIMEOUT", `the store did not answer within ${storeTimeoutMs} ms`, { retryable: true }),
    );
  } catch (error) {
    if (error instanceof HookyardError && !error.retryable) {
      await sendApiError(reply, 422, error.code, error.message);
      return undefined;
    }
    // Not durable, so not accepted: the client retries (with the same event id, it is de-duplicated).
    reply.header("retry-after", "5");
    await sendApiError(reply, 503, "UNAVAILABLE", "the event could not be made durable; retry later");
    return undefined;
  }
}
