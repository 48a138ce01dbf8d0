/** Strict decoders for signature text: anything not canonical is rejected (undefined), never guessed at. */

const HEX = /^(?:[0-9a-f]{2})+$/i;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const BASE64URL = /^[A-Za-z0-9_-]+={0,2}$/;

/** Longest signature text looked at: far above any real MAC, small enough that parsing stays cheap. */
export const MAX_SIGNATURE_TEXT = 1024;

export function decodeHex(text: string): Buffer | undefined {
  if (text.length === 0 || text.length > MAX_SIGNATURE_TEXT || !HEX.test(text)) return undefined;
  return Buffer.from(text, "hex");
}

export function decodeBase64(text: string): Buffer | undefined {
  if (text.length === 0 || text.length > MAX_SIGNATURE_TEXT || !BASE64.test(text)) return undefined;
  return Buffer.from(text, "base64");
}

/** Standard or URL-safe alphabet, padding optional (some senders strip it). */
export function decodeBase64Lenient(text: string): Buffer | undefined {
  if (text.length === 0 || text.length > MAX_SIGNATURE_TEXT) return undefined;
  if (BASE64.test(text)) return Buffer.from(text, "base64");
  if (BASE64URL.test(text)) return Buffer.from(text.replace(/=+$/, ""), "base64url");
  return undefined;
}
