import { randomUUID } from "node:crypto";
import { createEnvelope, type Envelope, HookyardError, isSafeHeaderValue } from "@hookyard/core";
import { INGEST_EVENT_FIELD_NAMES } from "./event-fields.js";
import { jsonDepthExceeds } from "./json-depth.js";

/** What the ingest API refuses besides malformed events (docs/ingest.md). */
export interface IngestLimits {
  /** Deepest nesting of arrays and objects in a JSON body or a JSON payload. */
  readonly maxJsonDepth: number;
}

type RequestHeaders = Readonly<Record<string, string | string[] | undefined>>;

// Ids, types and content types travel as HTTP header values (webhook-id, content-type): CR/LF/NUL would split or
// break the webhook request, so they are refused here, naming the field, instead of being dead-lettered later.
const JSON_CONTENT_TYPE = /^application\/(.+\+)?json\b/i;

/**
 * Turns one HTTP ingest request into an envelope. Two forms:
 * - structured (JSON body): `{ "type", "id"?, "data"? | "dataBase64"?, "contentType"?, "key"?, "subject"?,
 *   "time"?, "headers"? }`; `data` is sent as its compact JSON, `dataBase64` as the exact bytes it encodes.
 * - binary (CloudEvents HTTP binary mode): a `ce-type` header (and optional `ce-id`, `ce-subject`, `ce-time`,
 *   `hookyard-key`); the body is the payload, byte-exact, with the request's content type.
 * Problems throw HookyardError INGEST_INVALID with a message naming the field (the route answers 400).
 */
export function parseIngestEvent(headers: RequestHeaders, body: Buffer, limits: IngestLimits): Envelope {
  const ceType = single(headers["ce-type"]);
  if (ceType !== undefined) return fromBinaryMode(headers, ceType, body, limits);
  const contentType = single(headers["content-type"]) ?? "";
  if (!JSON_CONTENT_TYPE.test(contentType)) {
    throw invalid(
      `expected a JSON body (content-type application/json) or a CloudEvents binary-mode request with a ce-type header; got content-type ${JSON.stringify(contentType)}`,
    );
  }
  return fromStructured(parseJson(body, limits), "event", limits);
}

/** The `events` array of a batch request body. */
export function parseIngestBatch(body: Buffer, maxEvents: number, limits: IngestLimits): unknown[] {
  const parsed = parseJson(body, limits);
  if (!isRecord(parsed) || !Array.isArray(parsed.events)) throw invalid('expected a JSON object { "events": [ ... ] }');
  if (parsed.events.length === 0) throw invalid("events must not be empty");
  if (parsed.events.length > maxEvents)
    throw invalid(`a batch holds at most ${maxEvents} events, got ${parsed.events.length}`);
  return parsed.events;
}

export function fromStructured(value: unknown, where: string, limits: IngestLimits): Envelope {
  if (!isRecord(value)) throw invalid(`${where} must be a JSON object`);
  const unknown = Object.keys(value).filter((key) => !INGEST_EVENT_FIELD_NAMES.has(key));
  if (unknown.length > 0) throw invalid(`${where} has unknown field(s): ${unknown.join(", ")}`);
  const type = headerSafeString(value, "type", where);
  if (type === undefined) throw invalid(`${where}.type is required (a string such as "invoice.paid")`);
  if (value.data !== undefined && value.dataBase64 !== undefined) {
    throw invalid(`${where} has both data and dataBase64; send one`);
  }
  let data: Uint8Array;
  let contentType = headerSafeString(value, "contentType", where);
  const dataBase64 = optionalString(value, "dataBase64", where);
  if (dataBase64 !== undefined) {
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(dataBase64)) throw invalid(`${where}.dataBase64 is not valid base64`);
    data = new Uint8Array(Buffer.from(dataBase64, "base64"));
    contentType ??= "application/octet-stream";
    checkPayloadDepth(data, contentType, `${where}.dataBase64`, limits);
  } else {
    data = new TextEncoder().encode(JSON.stringify(value.data ?? null));
    contentType ??= "application/json";
  }
  const headers = value.headers;
  if (headers !== undefined && (!isRecord(headers) || Object.values(headers).some((v) => typeof v !== "string"))) {
    throw invalid(`${where}.headers must be an object of strings`);
  }
  return build({
    id: headerSafeString(value, "id", where),
    type,
    data,
    contentType,
    key: optionalString(value, "key", where),
    subject: optionalString(value, "subject", where),
    time: optionalString(value, "time", where),
    headers: (headers ?? {}) as Record<string, string>,
  });
}

function fromBinaryMode(headers: RequestHeaders, type: string, body: Buffer, limits: IngestLimits) {
  const forwarded: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    const text = single(value);
    if (text !== undefined && name.startsWith("ce-")) forwarded[name] = text;
  }
  const contentType = single(headers["content-type"]) ?? "application/octet-stream";
  const id = single(headers["ce-id"]);
  for (const [name, text] of [
    ["ce-type", type],
    ["ce-id", id],
    ["content-type", contentType],
  ] as const) {
    if (text !== undefined && !isSafeHeaderValue(text)) throw controlCharacter(`header ${name}`);
  }
  checkPayloadDepth(body, contentType, "the body", limits);
  return build({
    id,
    type,
    data: new Uint8Array(body),
    contentType,
    key: single(headers["hookyard-key"]),
    subject: single(headers["ce-subject"]),
    time: single(headers["ce-time"]),
    headers: forwarded,
  });
}

function build(fields: {
  id: string | undefined;
  type: string;
  data: Uint8Array;
  contentType: string;
  key: string | undefined;
  subject: string | undefined;
  time: string | undefined;
  headers: Record<string, string>;
}): Envelope {
  // Events without an id get one, but then a retry of the same request is a new event: say so in the docs.
  const id = fields.id ?? `evt_${randomUUID()}`;
  try {
    return createEnvelope({
      id,
      source: "http",
      type: fields.type,
      data: fields.data,
      contentType: fields.contentType,
      headers: fields.headers,
      ...(fields.id === undefined ? {} : { idempotencyKey: `http:${fields.id}` }),
      ...(fields.key === undefined ? {} : { key: fields.key }),
      ...(fields.subject === undefined ? {} : { subject: fields.subject }),
      ...(fields.time === undefined ? {} : { time: fields.time }),
    });
  } catch (error) {
    if (error instanceof HookyardError) throw invalid(error.message);
    throw error;
  }
}

function parseJson(body: Buffer, limits: IngestLimits): unknown {
  if (jsonDepthExceeds(body, limits.maxJsonDepth)) throw tooDeep("the body", limits);
  try {
    return JSON.parse(body.toString("utf8"));
  } catch (error) {
    throw invalid(`the body is not valid JSON: ${(error as Error).message}`);
  }
}

/** A JSON payload is walked later (filters, the dashboard): refused here when it nests too deep. */
function checkPayloadDepth(data: Uint8Array, contentType: string, what: string, limits: IngestLimits): void {
  if (JSON_CONTENT_TYPE.test(contentType) && jsonDepthExceeds(data, limits.maxJsonDepth)) throw tooDeep(what, limits);
}

function optionalString(record: Record<string, unknown>, key: string, where: string): string | undefined {
  const value = record[key];
  if (value === undefined) return undefined;
  if (typeof value !== "string" || value.length === 0) throw invalid(`${where}.${key} must be a non-empty string`);
  return value;
}

/** A string that becomes an HTTP header value on the webhook request. */
function headerSafeString(record: Record<string, unknown>, key: string, where: string): string | undefined {
  const value = optionalString(record, key, where);
  if (value !== undefined && !isSafeHeaderValue(value)) throw controlCharacter(`${where}.${key}`);
  return value;
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function controlCharacter(field: string): HookyardError {
  return invalid(`${field} contains a control character (CR, LF, NUL, …); it is sent as an HTTP header value`);
}

function tooDeep(what: string, limits: IngestLimits): HookyardError {
  return invalid(`${what} nests arrays/objects deeper than ${limits.maxJsonDepth} levels (ingest.maxJsonDepth)`);
}

function invalid(message: string): HookyardError {
  return new HookyardError("INGEST_INVALID", message);
}
