import { createHmac, timingSafeEqual } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Webhook } from "standardwebhooks";

export interface ReceivedRequest {
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body: Buffer;
  /** Verified with the official `standardwebhooks` library against the receiver's secret. */
  readonly verified: boolean;
  /**
   * Verified over the raw body bytes (HMAC-SHA256 of `id.timestamp.body`, as the spec defines it). The official
   * library turns the body into a string and parses it as JSON, so it refuses binary payloads; this does not.
   */
  readonly rawVerified: boolean;
}

/** A body in the Standard Webhooks structure, as Hookyard sends a JSON payload by default. */
export interface StandardPayload {
  readonly type: string;
  readonly timestamp: string;
  /** The payload's bytes as embedded in the body (Hookyard embeds them verbatim). */
  readonly data: Buffer;
}

/**
 * Splits a `{"type":…,"timestamp":…,"data":…}` body; throws when the body is not exactly that, with the payload's
 * bytes embedded verbatim (so tests can still check payloads byte for byte).
 */
export function standardPayload(body: Buffer): StandardPayload {
  const parsed = JSON.parse(body.toString("utf8")) as { type?: unknown; timestamp?: unknown };
  if (typeof parsed.type !== "string" || typeof parsed.timestamp !== "string") {
    throw new Error(`not a Standard Webhooks body: ${body.toString("utf8").slice(0, 200)}`);
  }
  const head = Buffer.from(
    `{"type":${JSON.stringify(parsed.type)},"timestamp":${JSON.stringify(parsed.timestamp)},"data":`,
  );
  if (!body.subarray(0, head.length).equals(head) || body.at(-1) !== 0x7d) {
    throw new Error(`unexpected body layout: ${body.toString("utf8").slice(0, 200)}`);
  }
  return { type: parsed.type, timestamp: parsed.timestamp, data: body.subarray(head.length, -1) };
}

/** Checks the `v1` signatures of a Standard Webhooks request over the exact body bytes. */
export function verifyRawSignature(secret: string, headers: Record<string, string>, body: Buffer): boolean {
  const id = headers["webhook-id"];
  const timestamp = headers["webhook-timestamp"];
  const signatures = headers["webhook-signature"];
  if (id === undefined || timestamp === undefined || signatures === undefined) return false;
  const key = Buffer.from(secret.replace(/^whsec_/, ""), "base64");
  const expected = createHmac("sha256", key)
    .update(Buffer.concat([Buffer.from(`${id}.${timestamp}.`), body]))
    .digest();
  return signatures.split(" ").some((entry) => {
    const [version, value] = entry.split(",");
    if (version !== "v1" || value === undefined) return false;
    const given = Buffer.from(value, "base64");
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}

/**
 * A customer endpoint for tests: records every request, checks its signature with the official Standard
 * Webhooks library, and answers with `status(path)` (200 by default), once `answerAfter` (if given) has resolved: a
 * receiver that holds every request until the test lets go. `waitFor(n)` resolves once n requests arrived.
 */
export interface WebhookReceiver {
  readonly url: string;
  readonly received: ReceivedRequest[];
  waitFor(count: number, timeoutMs?: number): Promise<ReceivedRequest[]>;
  close(): Promise<void>;
}

export async function startWebhookReceiver(
  secret: string,
  options: {
    status?: (path: string) => number;
    onRequest?: (request: ReceivedRequest) => void;
    answerAfter?: Promise<unknown>;
  } = {},
): Promise<WebhookReceiver> {
  const verifier = new Webhook(secret);
  const received: ReceivedRequest[] = [];
  const waiters = new Set<() => void>();
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const body = Buffer.concat(chunks);
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(request.headers)) {
        if (typeof value === "string") headers[name] = value;
      }
      let verified = false;
      try {
        verifier.verify(body.toString("utf8"), headers);
        verified = true;
      } catch {
        verified = false;
      }
      const path = request.url ?? "/";
      const rawVerified = verifyRawSignature(secret, headers, body);
      const entry = { path, headers, body, verified, rawVerified };
      received.push(entry);
      options.onRequest?.(entry);
      for (const waiter of waiters) waiter();
      const answer = () => void response.writeHead(options.status?.(path) ?? 200).end();
      if (options.answerAfter === undefined) answer();
      else void options.answerAfter.then(answer);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  // A receiver a failed test never closed must not keep the test file's process (and the whole run) alive; while
  // a test waits for webhooks, its timers and child processes keep the process running anyway.
  server.unref();
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    waitFor(count, timeoutMs = 15_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`timed out after ${timeoutMs} ms: ${received.length} of ${count} webhooks arrived`));
        }, timeoutMs);
        const check = () => {
          if (received.length >= count) {
            clearTimeout(timer);
            waiters.delete(check);
            resolve(received);
          }
        };
        waiters.add(check);
        check();
      });
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
