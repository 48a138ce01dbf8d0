import { describeValue } from "../config/describe-value.js";
import { appendKey } from "../config/key-path.js";
import { createEnvelope, type Envelope, type EnvelopeInput } from "../envelope.js";
import { HookyardError, permanentError } from "../errors.js";
import { specError } from "../filter/filter-error.js";
import { isUsableTracestate, parseTraceparent } from "../tracing/trace-context.js";
import {
  type CompiledValueSource,
  compileValueSource,
  compileValueSpec,
  type MessageView,
  type SourceMessage,
  type ValueSpec,
} from "./value-source.js";

/** Per source: where each envelope field comes from. Unset fields use the CloudEvents defaults. */
export interface EnvelopeMappingSpec {
  readonly id?: ValueSpec;
  readonly type?: ValueSpec;
  readonly key?: ValueSpec;
  readonly time?: ValueSpec;
  readonly subject?: ValueSpec;
  readonly contentType?: ValueSpec;
}

export interface EnvelopeMapping {
  /** Whether any configured field reads the JSON body. */
  readonly usesJson: boolean;
  /**
   * Builds the envelope. Throws a non-retryable `HookyardError` (MESSAGE_REJECTED) when id or type cannot be
   * found, a time is not a timestamp, or the body is not JSON while a configured field reads a JSON path:
   * the source dead-letters such a message.
   */
  map(message: SourceMessage): Envelope;
}

type Field = keyof EnvelopeMappingSpec;
const FIELDS: readonly Field[] = ["id", "type", "key", "time", "subject", "contentType"];
const REQUIRED: ReadonlySet<Field> = new Set<Field>(["id", "type"]);
const STRUCTURED_CONTENT_TYPE = "application/cloudevents+json";
const DEFAULT_CONTENT_TYPE = "application/json";

/** CloudEvents binary mode (ce-* headers) first, then what the broker provides. */
const BINARY_DEFAULTS: Readonly<Record<Field, readonly object[]>> = {
  id: [{ header: "ce-id" }, { broker: "id" }],
  type: [{ header: "ce-type" }],
  key: [{ broker: "key" }, { header: "ce-partitionkey" }],
  time: [{ header: "ce-time" }, { broker: "time" }],
  subject: [{ header: "ce-subject" }],
  contentType: [{ header: "content-type" }],
};

/** CloudEvents structured mode (application/cloudevents+json): the event's own attributes from the JSON body. */
const STRUCTURED_DEFAULTS: Readonly<Record<Field, readonly object[]>> = {
  id: [{ jsonPath: "id" }, { header: "ce-id" }, { broker: "id" }],
  type: [{ jsonPath: "type" }, { header: "ce-type" }],
  key: [{ broker: "key" }, { jsonPath: "partitionkey" }, { header: "ce-partitionkey" }],
  time: [{ jsonPath: "time" }, { header: "ce-time" }, { broker: "time" }],
  subject: [{ jsonPath: "subject" }, { header: "ce-subject" }],
  contentType: [{ header: "content-type" }],
};

interface FieldPlan {
  readonly configured: boolean;
  readonly binary: readonly CompiledValueSource[];
  readonly structured: readonly CompiledValueSource[];
}

/**
 * Validates a source's `mapping` spec and compiles it. `where` is its config key (e.g. "sources[0].mapping"); it
 * prefixes spec errors (CONFIG_INVALID) and per-message rejection reasons.
 */
export function compileEnvelopeMapping(spec: unknown, where: string): EnvelopeMapping {
  const given = spec ?? {};
  if (typeof given !== "object" || Array.isArray(given)) {
    throw specError(where, "", `an object with some of ${FIELDS.join(", ")}`, describeValue(spec));
  }
  for (const key of Object.keys(given)) {
    if (!(FIELDS as readonly string[]).includes(key)) {
      throw specError(appendKey(where, key), "", `one of ${FIELDS.join(", ")}`, `the key ${JSON.stringify(key)}`);
    }
  }
  const plans = {} as Record<Field, FieldPlan>;
  for (const field of FIELDS) {
    const value = (given as Record<string, unknown>)[field];
    if (value !== undefined) {
      const chain = compileValueSpec(value, appendKey(where, field));
      plans[field] = { configured: true, binary: chain, structured: chain };
    } else {
      const lenient = (sources: readonly object[]) => sources.map((source) => compileValueSource(source, where, false));
      plans[field] = {
        configured: false,
        binary: lenient(BINARY_DEFAULTS[field]),
        structured: lenient(STRUCTURED_DEFAULTS[field]),
      };
    }
  }
  const usesJson = FIELDS.some((field) => plans[field].configured && plans[field].binary.some((s) => s.usesJson));
  const decoder = new TextDecoder();

  const map = (message: SourceMessage): Envelope => {
    const view = createMessageView(message, decoder);
    const structured = isStructured(message, view);
    const read = (field: Field): unknown => {
      const plan = plans[field];
      const chain = structured ? plan.structured : plan.binary;
      for (const source of chain) {
        const raw = source.read(view);
        if (source.usesJson && source.strictJson && !view.json().ok) {
          throw permanentError(
            `${appendKey(where, field)}: the body is not valid JSON, so ${source.label} cannot be read`,
          );
        }
        const value = field === "time" ? toTime(raw, where, source) : toText(raw);
        if (value !== undefined) return value;
      }
      if (REQUIRED.has(field)) {
        const tried = chain.map((source) => source.label).join(", ");
        throw permanentError(`${appendKey(where, field)}: no event ${field} found (tried ${tried})`);
      }
      return undefined;
    };
    const id = read("id") as string;
    const type = read("type") as string;
    const key = read("key") as string | undefined;
    const time = read("time") as string | undefined;
    const subject = read("subject") as string | undefined;
    const contentType =
      (plans.contentType.configured ? undefined : message.contentType) ??
      (read("contentType") as string | undefined) ??
      DEFAULT_CONTENT_TYPE;
    const idempotencyKey = message.defaults?.idempotencyKey;
    try {
      // createEnvelope copies the headers (lower-cased); optional fields by assignment, not spreads (per event).
      const input: EnvelopeInput = {
        id,
        type,
        source: message.source,
        data: message.data,
        headers: message.headers,
        contentType,
      };
      if (time !== undefined) input.time = time;
      if (key !== undefined) input.key = key;
      if (subject !== undefined) input.subject = subject;
      if (idempotencyKey !== undefined) input.idempotencyKey = idempotencyKey;
      readTraceContext(view, input);
      return createEnvelope(input);
    } catch (error) {
      if (error instanceof HookyardError) throw permanentError(`${where}: ${error.message}`, error);
      throw error;
    }
  };
  return Object.freeze({ usesJson, map });
}

/**
 * The producer's W3C trace context from the message headers (Kafka headers, AMQP headers, Pub/Sub and SQS
 * attributes). A malformed one is ignored, never a reason to reject the event.
 */
function readTraceContext(view: MessageView, input: EnvelopeInput): void {
  const traceparent = view.header("traceparent")?.trim();
  if (traceparent === undefined || parseTraceparent(traceparent) === undefined) return;
  input.traceparent = traceparent;
  const tracestate = view.header("tracestate")?.trim();
  if (tracestate !== undefined && isUsableTracestate(tracestate)) input.tracestate = tracestate;
}

function createMessageView(message: SourceMessage, decoder: { decode(input: Uint8Array): string }): MessageView {
  let parsed: { readonly ok: true; readonly value: unknown } | { readonly ok: false } | undefined;
  /** The headers by lower-case name, built on the first miss (most names asked for are absent: ce-*). */
  let lowerCased: Map<string, string> | undefined;
  return {
    message,
    header(name) {
      const exact = message.headers[name];
      if (exact !== undefined) return exact;
      if (lowerCased === undefined) {
        lowerCased = new Map();
        for (const key in message.headers) {
          const lower = key.toLowerCase();
          if (!lowerCased.has(lower)) lowerCased.set(lower, message.headers[key] as string);
        }
      }
      return lowerCased.get(name);
    },
    json() {
      if (parsed === undefined) {
        try {
          parsed = { ok: true, value: JSON.parse(decoder.decode(message.data)) };
        } catch {
          parsed = { ok: false };
        }
      }
      return parsed;
    },
  };
}

function isStructured(message: SourceMessage, view: MessageView): boolean {
  const contentType = message.contentType ?? view.header("content-type");
  return contentType?.toLowerCase().startsWith(STRUCTURED_CONTENT_TYPE) === true;
}

function toText(raw: unknown): string | undefined {
  if (typeof raw === "string") return raw.length > 0 ? raw : undefined;
  if (typeof raw === "number" || typeof raw === "boolean") return String(raw);
  return undefined;
}

/** RFC 3339 strings as they are; numbers as Unix time (seconds below 10^11, else milliseconds); Dates. */
function toTime(raw: unknown, where: string, source: CompiledValueSource): string | undefined {
  if (raw instanceof Date) return Number.isNaN(raw.getTime()) ? undefined : raw.toISOString();
  if (typeof raw === "number" && Number.isFinite(raw)) {
    return new Date(raw < 1e11 ? raw * 1000 : raw).toISOString();
  }
  if (typeof raw === "string" && raw.length > 0) {
    if (Number.isNaN(Date.parse(raw))) {
      throw permanentError(`${appendKey(where, "time")}: ${source.label} is not a timestamp: ${describeValue(raw)}`);
    }
    return raw;
  }
  return undefined;
}
