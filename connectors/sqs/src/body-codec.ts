import { permanentError } from "@hookyard/core";
import type { BodyEncoding } from "./config.js";

/** Characters SQS refuses in a message body and attribute values (it accepts tab, LF, CR, and U+0020 upwards). */
const SQS_REFUSED = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;
const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/** The payload bytes an SQS body carries. base64 is checked strictly: a body that is not base64 is poison. */
export function decodeBody(body: string, encoding: BodyEncoding): Uint8Array {
  if (encoding === "utf8") return toUint8(Buffer.from(body, "utf8"));
  const bytes = strictBase64(body);
  if (bytes === undefined) throw permanentError("sqs message body is not base64 (bodyEncoding: base64)");
  return toUint8(bytes);
}

/**
 * The bytes of strict, padded base64 (`^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$`), or
 * undefined. Six times cheaper than testing that pattern on the body first: Node's decoder skips (or stops at) any
 * character outside its alphabet, so the output is shorter than the length says exactly when such a character is
 * there. Its alphabet also has base64url's `-` and `_`, and it reads only the low byte of wider characters, which
 * are ruled out first. body-codec.test.ts checks it against the pattern for every UTF-16 code unit.
 */
function strictBase64(body: string): Buffer | undefined {
  const length = body.length;
  if (length % 4 !== 0 || Buffer.byteLength(body, "utf8") !== length) return undefined; // not all ASCII
  const padded = length > 0 && body.charCodeAt(length - 1) === EQUALS;
  const padding = !padded ? 0 : body.charCodeAt(length - 2) === EQUALS ? 2 : 1;
  const bytes = Buffer.from(body, "base64");
  if (bytes.byteLength !== (length / 4) * 3 - padding || body.includes("-") || body.includes("_")) return undefined;
  return bytes;
}

const EQUALS = 0x3d;

/** The SQS body for payload bytes; utf8 refuses bytes that are not UTF-8 or hold characters SQS refuses. */
export function encodeBody(data: Uint8Array, encoding: BodyEncoding): string {
  const buffer = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (encoding === "base64") return buffer.toString("base64");
  let text: string;
  try {
    text = strictUtf8.decode(data);
  } catch {
    throw permanentError('payload is not valid UTF-8: set bodyEncoding: "base64" to carry binary payloads');
  }
  if (SQS_REFUSED.test(text)) {
    throw permanentError('payload holds characters SQS refuses in a body: set bodyEncoding: "base64"');
  }
  return text;
}

export function isSqsText(value: string): boolean {
  return !SQS_REFUSED.test(value);
}

function toUint8(buffer: Buffer): Uint8Array {
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}
