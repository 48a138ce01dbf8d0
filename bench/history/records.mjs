// Settled-delivery records as the scheduler's outbox hands them to the history store: a 1 KiB JSON payload (as in
// bench/scheduler), one attempt with the real request headers of a signed POST and a short response.
import { createEnvelope } from "@hookyard/core";

const PAD = "x".repeat(1024);

export function payloadFor(n) {
  const base = {
    type: "invoice.paid",
    data: { invoice: `in_${n}`, customer: { id: `cus_${n % 100_000}`, tier: n % 10 === 0 ? "gold" : "std" } },
    amount: n % 10_000,
    currency: n % 3 === 0 ? "eur" : "usd",
  };
  const pad = 1024 - JSON.stringify({ ...base, pad: "" }).length;
  return JSON.stringify({ ...base, pad: PAD.slice(0, pad) });
}

/** `count` settled deliveries from `start`, 1,000 endpoints, 100 owners, a few dead. */
export function makeRecords(prefix, start, count, now) {
  const records = new Array(count);
  for (let i = 0; i < count; i++) {
    const n = start + i;
    const deliveryId = `${prefix}${n.toString(36).padStart(8, "0")}`;
    const dead = n % 100 === 0;
    const endpoint = n % 1000;
    const startedAt = now - 50;
    records[i] = {
      deliveryId,
      messageId: `m${deliveryId}`,
      endpointId: `ep-${endpoint}`,
      owner: `owner-${endpoint % 100}`,
      status: dead ? "dead" : "delivered",
      ...(dead ? { deadReason: "retries exhausted: 500" } : {}),
      attempts: 1,
      createdAt: now - 1000,
      settledAt: now,
      envelope: createEnvelope({
        id: `evt_${prefix}${n}`,
        source: "kafka:invoices",
        type: n % 7 === 0 ? "invoice.payment.failed" : "invoice.paid",
        data: payloadFor(n),
        headers: { "ce-source": "billing" },
      }),
      attemptLog: [
        {
          attemptId: `${deliveryId}:1`,
          attempt: 1,
          startedAt: new Date(startedAt).toISOString(),
          durationMs: 23,
          status: dead ? 500 : 200,
          requestHeaders: {
            "content-type": "application/json",
            "user-agent": "Hookyard/0.1",
            "webhook-id": `evt_${prefix}${n}`,
            "webhook-timestamp": String(Math.floor(startedAt / 1000)),
            "webhook-signature": "v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4=",
          },
          responseHeaders: { "content-type": "text/plain", "content-length": "2" },
          responseBody: dead ? "internal error" : "ok",
        },
      ],
    };
  }
  return records;
}
