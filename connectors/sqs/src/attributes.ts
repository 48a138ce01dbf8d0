import type { MessageAttributeValue } from "@aws-sdk/client-sqs";
import type { Envelope } from "@hookyard/core";
import { isSqsText } from "./body-codec.js";

/** SQS allows at most 10 message attributes; beyond that the envelope's headers travel packed in one. */
export const MAX_ATTRIBUTES = 10;
/** The attribute that carries the envelope's headers as a JSON object when they do not fit as attributes. */
export const PACKED_HEADERS = "hookyard-headers";

const NAME = /^[A-Za-z0-9_.-]{1,256}$/;

function isAttributeName(name: string): boolean {
  return (
    NAME.test(name) &&
    !/^(aws|amazon)\./i.test(name) &&
    !name.includes("..") &&
    !name.startsWith(".") &&
    !name.endsWith(".")
  );
}

/**
 * SQS message attributes for an envelope: CloudEvents binary-mode `ce-*` and `content-type` from its fields, and
 * its headers as String attributes, or, when they would pass 10 attributes or a name is not allowed in SQS, all
 * of them as one JSON attribute `hookyard-headers` (the SQS source unpacks it). Empty values are left out (SQS
 * refuses them).
 */
export function envelopeAttributes(envelope: Envelope): Record<string, MessageAttributeValue> {
  const own: Record<string, string> = {
    "ce-specversion": "1.0",
    "ce-id": envelope.id,
    "ce-source": envelope.source,
    "ce-type": envelope.type,
    "ce-time": envelope.time,
    ...(envelope.subject === undefined ? {} : { "ce-subject": envelope.subject }),
    "content-type": envelope.contentType,
  };
  const headers = Object.entries(envelope.headers).filter(([name, value]) => !(name in own) && value !== "");
  const fits =
    Object.keys(own).length + headers.length <= MAX_ATTRIBUTES &&
    headers.every(([name, value]) => isAttributeName(name) && isSqsText(value));
  const all: Record<string, string> = fits
    ? { ...Object.fromEntries(headers), ...own }
    : { ...own, ...(headers.length === 0 ? {} : { [PACKED_HEADERS]: JSON.stringify(Object.fromEntries(headers)) }) };
  const attributes: Record<string, MessageAttributeValue> = {};
  for (const [name, value] of Object.entries(all)) {
    if (value !== "") attributes[name] = { DataType: "String", StringValue: value };
  }
  return attributes;
}

/** Bytes SQS counts for attributes: each name, type and value. */
export function attributesSize(attributes: Record<string, MessageAttributeValue>): number {
  let size = 0;
  for (const [name, value] of Object.entries(attributes)) {
    size += Buffer.byteLength(name) + Buffer.byteLength(value.DataType ?? "");
    size +=
      value.StringValue !== undefined ? Buffer.byteLength(value.StringValue) : (value.BinaryValue?.byteLength ?? 0);
  }
  return size;
}

/**
 * Headers from received message attributes: String and Number values as they are, Binary values base64-encoded;
 * a `hookyard-headers` JSON attribute is unpacked (attributes of the same name win).
 */
export function attributesToHeaders(
  attributes: Record<string, MessageAttributeValue> | undefined,
): Record<string, string> {
  const headers: Record<string, string> = {};
  let packed: string | undefined;
  for (const [name, value] of Object.entries(attributes ?? {})) {
    const text =
      value.DataType?.startsWith("Binary") === true
        ? Buffer.from(value.BinaryValue ?? new Uint8Array()).toString("base64")
        : (value.StringValue ?? "");
    if (name === PACKED_HEADERS) packed = text;
    else headers[name] = text;
  }
  if (packed === undefined) return headers;
  try {
    const parsed: unknown = JSON.parse(packed);
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed))
      return { ...headers, [PACKED_HEADERS]: packed };
    const unpacked: Record<string, string> = {};
    for (const [name, value] of Object.entries(parsed)) if (typeof value === "string") unpacked[name] = value;
    return { ...unpacked, ...headers };
  } catch {
    return { ...headers, [PACKED_HEADERS]: packed };
  }
}
