import { randomBytes } from "node:crypto";
import type { TestMessage } from "./harness.js";

export const CONFORMANCE_TYPE = "conformance.test";
export const POISON_TYPE = "conformance.poison";

/** Bytes that are not valid UTF-8 (lone continuation, overlong, surrogate, NUL, CR/LF). */
export const NON_UTF8_BYTES = new Uint8Array([
  0xff, 0xfe, 0x00, 0x80, 0xc3, 0x28, 0xed, 0xa0, 0x80, 0xc0, 0xaf, 0x0a, 0x0d,
]);

/** Every byte value once. */
export const ALL_BYTES = new Uint8Array(Array.from({ length: 256 }, (_, i) => i));

const encoder = new TextEncoder();

/** A run tag that keeps ids unique across tests and runs. */
export function runTag(): string {
  return `c${Date.now().toString(36)}${randomBytes(3).toString("hex")}`;
}

/** A CloudEvents binary-mode message with a unique `ce-id` (`<tag>-<n>`) and a JSON body. */
export function conformanceMessage(
  tag: string,
  n: number,
  extra: { type?: string; headers?: Record<string, string>; data?: Uint8Array; key?: string } = {},
): TestMessage {
  return {
    data: extra.data ?? encoder.encode(JSON.stringify({ n, tag, text: "héllo ✓ 🚀" })),
    headers: {
      "ce-id": `${tag}-${n}`,
      "ce-type": extra.type ?? CONFORMANCE_TYPE,
      "x-seq": String(n),
      ...extra.headers,
    },
    ...(extra.key === undefined ? {} : { key: extra.key }),
  };
}

export function messageId(message: TestMessage): string {
  const id = message.headers["ce-id"];
  if (id === undefined) throw new Error("test message without ce-id");
  return id;
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");
}
