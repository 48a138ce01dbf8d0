import { randomBytes } from "node:crypto";
import { createEnvelope, type Envelope } from "@hookyard/core";
import type { DeliveryPage, HistoryAttempt, HistoryQuery, HistoryStore, SettledDelivery } from "../history-store.js";

/** An id no other test (or concurrent run sharing a database) uses. */
export function uniqueId(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(4).toString("hex")}`;
}

export function jsonEnvelope(type: string, payload: unknown, id = uniqueId("evt")): Envelope {
  return createEnvelope({
    id,
    source: "conformance",
    type,
    data: JSON.stringify(payload),
    contentType: "application/json",
    headers: { "x-test": "yes" },
    subject: "sub-1",
    key: "k-1",
  });
}

/** Bytes that do not survive a UTF-8 round trip, to prove the payload is kept byte-exact. */
export function binaryEnvelope(type = "test.binary"): Envelope {
  return createEnvelope({
    id: uniqueId("evt"),
    source: "conformance",
    type,
    data: new Uint8Array([0x7b, 0x00, 0xff, 0xfe, 0x80, 0x7d]),
    contentType: "application/octet-stream",
    headers: {},
  });
}

export function attempt(deliveryId: string, n: number, at: number, status?: number): HistoryAttempt {
  return {
    attemptId: `${deliveryId}:${n}:${at}`,
    attempt: n,
    startedAt: new Date(at).toISOString(),
    durationMs: 12 + n,
    ...(status === undefined ? { errorClass: "timeout" as const, errorMessage: "timed out" } : { status }),
    requestHeaders: { "webhook-id": deliveryId, "content-type": "application/json" },
    responseHeaders: status === undefined ? {} : { "content-type": "text/plain", "x-n": String(n) },
    ...(status === undefined ? {} : { responseBody: `answer ${n} ✓`, responseBodyTruncated: n === 2 }),
  };
}

/** A settled delivery: delivered after one attempt unless `overrides` say otherwise. */
export function settled(at: number, overrides: Partial<SettledDelivery> = {}): SettledDelivery {
  const deliveryId = overrides.deliveryId ?? uniqueId("dlv");
  const status = overrides.status ?? "delivered";
  return {
    deliveryId,
    messageId: `msg-${deliveryId}`,
    endpointId: "ep-default",
    owner: "acme",
    status,
    ...(status === "dead" ? { deadReason: "retries exhausted" } : {}),
    attempts: 1,
    createdAt: at,
    settledAt: at + 100,
    envelope: jsonEnvelope("order.created", { order: { id: deliveryId }, n: 1 }),
    attemptLog: [attempt(deliveryId, 1, at + 50, status === "delivered" ? 200 : 500)],
    ...overrides,
  };
}

/** Every page of a query, following cursors. */
export async function allPages(
  store: HistoryStore,
  query: Omit<HistoryQuery, "cursor" | "limit"> & { limit?: number },
): Promise<DeliveryPage["deliveries"][number][]> {
  const found: DeliveryPage["deliveries"][number][] = [];
  let cursor: string | undefined;
  for (let page = 0; page < 1000; page++) {
    const result = await store.queryDeliveries({ limit: 50, ...query, ...(cursor === undefined ? {} : { cursor }) });
    found.push(...result.deliveries);
    if (result.nextCursor === undefined) return found;
    cursor = result.nextCursor;
  }
  throw new Error("too many pages");
}

export function idsOf(items: readonly { readonly deliveryId: string }[]): string[] {
  return items.map((item) => item.deliveryId);
}
