import { randomUUID } from "node:crypto";
import { createEnvelope, type Envelope, HookyardError } from "@hookyard/core";

/**
 * Turns one HTTP ingest request into an envelope. Two forms:
 * - structured (JSON body): `{ "type", "id"?, "data"? | "dataBase64"?, "contentType"?, "key"?, "subject"?,
 *   "time"?, "headers"? }`; `data` is sent as its compact JSON, `dataBase64` as the exact bytes it encodes.
 * - binary (CloudEvents HTTP binary mode): a `ce-type` header (and optional `ce-id`, `ce-subject`, `ce-time`,
 *   `hookyard-key`); the body is the payload, byte-exact, with the request's content type.
 * Problems throw HookyardError INGEST_INVALID with a message saying what is wrong (the route answers 400).
 */
export function parseIngestEvent(
  headers: Readonly<Record<string, string | string[] | undefined>>,
  body: Buffer,
): Envelope {
  const ceType = single(headers["ce-type"]);
  if (ceType !== undefined) return fromBinaryMode(headers, ceType, body);
  const contentType = single(headers["content-type"]) ?? "";
  if (!/^application\/(.+\+)?json\b/i.test(contentType)) {
    throw invalid(
      `expected a JSON body (content-type application/json) or a CloudEvents binary-mode request with a ce-type header; got content-type ${JSON.stringify(contentType)}`,
    );
  }
  return fromStructured(parseJson(body));
}

/** The `events` array of a batch request body. */
export function parseIngestBatch(body: Buffer, maxEvents: number): unknown[] {
  const parsed = parseJson(body);
  if (!isRecord(parsed) || !Array.isArray(parsed.events)) throw invalid('expected a JSON object { "events": [ ... ] }');
  if (parsed.events.length === 0) throw invalid("events must not be empty");
  if (parsed.events.length > maxEvents)
    throw invalid(`a batch holds at most ${maxEvents} events, got ${parsed.events.length}`);
  return parsed.events;
}

export function fromStructured(value: unknown, where = "event"): Envelope {
  if (!isRecord(value)) throw invalid(`${where} must be a JSON object`);
  const known = new Set(["id", "type", "data", "dataBase64", "contentType", "key", "subject", "time", "headers"]);
  const unknown = Object.keys(value).filter((key) => !known.has(key));
  if (unknown.length > 0) throw invalid(`${where} has unknown field(s): ${unknown.join(", ")}`);
  const type = optionalString(value, "type", where);
  if (type === undefined) throw invalid(`${where}.type is required (a string such as "invoice.paid")`);
  if (value.data !== undefined && value.dataBase64 !== undefined) {
    throw invalid(`${where} has both data and dataBase64; send one`);
  }
  let data: Uint8Array;
  let contentType = optionalString(value, "contentType", where);
  const dataBase64 = optionalString(value, "dataBase64", where);
  if (dataBase64 !== undefined) {
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(dataBase64)) throw invalid(`${where}.dataBase64 is not valid base64`);
    data = new Uint8Array(Buffer.from(dataBase64, "base64"));
    contentType ??= "application/octet-stream";
  } else {
    data = new TextEncoder().encode(JSON.stringify(value.data ?? null));
    contentType ??= "application/json";
  }
  const headers = value.headers;
  if (headers !== undefined && (!isRecord(headers) || Object.values(headers).some((v) => typeof v !== "string"))) {
    throw invalid(`${where}.headers must be an object of strings`);
  }
  const id = optionalString(value, "id", where);
  const key = optionalString(value, "key", where);
  const subject = optionalString(value, "subject", where);
  const time = optionalString(value, "time", where);
  return build({
    id,
    type,
    data,
    contentType,
    key,
    subject,
    time,
    headers: (headers ?? {}) as Record<string, string>,
  });
}

function fromBinaryMode(headers: Readonly<Record<string, string | string[] | undefined>>, type: string, body: Buffer) {
  const forwarded: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    const text = single(value);
    if (text !== undefined && name.startsWith("ce-")) forwarded[name] = text;
  }
  return build({
    id: single(headers["ce-id"]),
    type,
    data: new Uint8Array(body),
    contentType: single(headers["content-type"]) ?? "application/octet-stream",
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

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString("utf8"));
  } catch (error) {
    throw invalid(`the body is not valid JSON: ${(error as Error).message}`);
  }
}

function optionalString(record: Record<string, unknown>, key: string, where: string): string | undefined {
  const value = record[key];
  if (value === undefined) return undefined;
  if (typeof value !== "string" || value.length === 0) throw invalid(`${where}.${key} must be a non-empty string`);
  return value;
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function invalid(message: string): HookyardError {
  return new HookyardError("INGEST_INVALID", message);
}
