import { createEnvelope } from "@hookyard/core";
import type { AdminHarness } from "./admin-harness.js";

/** Settles the endpoint's queued deliveries as the worker would: `ok` ones delivered, the others dead. */
export async function settleAll(harness: AdminHarness, ok: (deliveryId: string) => boolean): Promise<void> {
  const now = Date.now();
  for (;;) {
    const { deliveries } = await harness.store.claim({ workerId: "test", max: 1000, leaseMs: 60_000, now });
    if (deliveries.length === 0) return harness.settleHistory();
    await harness.store.complete(
      "test",
      deliveries.map((d) =>
        ok(d.deliveryId)
          ? {
              deliveryId: d.deliveryId,
              kind: "delivered" as const,
              attempt: { startedAt: new Date(now).toISOString(), durationMs: 12, status: 200 },
            }
          : {
              deliveryId: d.deliveryId,
              kind: "dead" as const,
              reason: "rejected: HTTP 500",
              attempt: {
                startedAt: new Date(now).toISOString(),
                durationMs: 30,
                status: 500,
                errorClass: "http_status" as const,
                requestHeaders: { "webhook-id": d.envelope.id },
                responseBody: "boom",
              },
            },
      ),
      now,
    );
  }
}

/** Queues `count` events of `type` for one endpoint (event ids `evt-<endpoint>-<n>`); returns the delivery ids. */
export async function enqueue(
  harness: AdminHarness,
  endpointId: string,
  type: string,
  count: number,
  payload: (n: number) => unknown = (n) => ({ n }),
): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i += 500) {
    const chunk = await Promise.all(
      Array.from({ length: Math.min(500, count - i) }, (_, j) =>
        harness.store.enqueue({
          envelope: createEnvelope({
            id: `evt-${endpointId}-${i + j}`,
            source: "test",
            type,
            data: JSON.stringify(payload(i + j)),
          }),
          endpointIds: [endpointId],
          now: Date.now(),
        }),
      ),
    );
    ids.push(...chunk.map((r) => r.deliveryIds[0] ?? ""));
  }
  return ids;
}
