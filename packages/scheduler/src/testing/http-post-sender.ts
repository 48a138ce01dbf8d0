import { Agent, request } from "node:http";
import type { DeliveryOutcome, Endpoint } from "@hookyard/core";
import { testEndpoint } from "../conformance/fixtures.js";
import type { SendDelivery } from "../worker.js";

/**
 * A plain node:http POST sender for the crash test (test support, not exported). It sends what the delivery
 * package would put on the wire that matters here: the payload, `webhook-id` (= envelope id) and the delivery id,
 * so the receiver can tell duplicates apart. Signing and SSRF checks are packages/delivery's business and are not
 * what a crash test is about; using node:http keeps the scheduler free of a dependency on that package.
 */
export interface HttpPostSender {
  readonly send: SendDelivery;
  close(): void;
}

export const DELIVERY_ID_HEADER = "x-hookyard-delivery";

export function createHttpPostSender(): HttpPostSender {
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const send: SendDelivery = (claimed, endpoint, signal) =>
    new Promise<DeliveryOutcome>((resolve) => {
      const startedAt = Date.now();
      const record = (status?: number, errorMessage?: string) => ({
        startedAt: new Date(startedAt).toISOString(),
        durationMs: Date.now() - startedAt,
        ...(status === undefined ? {} : { status }),
        ...(errorMessage === undefined ? {} : { errorClass: "network" as const, errorMessage }),
      });
      const req = request(
        endpoint.url,
        {
          method: "POST",
          agent,
          signal,
          headers: {
            "content-type": claimed.envelope.contentType,
            "webhook-id": claimed.envelope.id,
            [DELIVERY_ID_HEADER]: claimed.deliveryId,
          },
        },
        (res) => {
          res.resume();
          res.on("end", () => {
            const status = res.statusCode ?? 0;
            const attempt = record(status);
            resolve(status >= 200 && status < 300 ? { kind: "delivered", attempt } : { kind: "retry", attempt });
          });
          res.on("error", (error) => resolve({ kind: "retry", attempt: record(undefined, error.message) }));
        },
      );
      req.on("error", (error) => resolve({ kind: "retry", attempt: record(undefined, error.message) }));
      req.end(Buffer.from(claimed.envelope.data));
    });
  return { send, close: () => agent.destroy() };
}

/** An endpoint of the crash test, served by the test's receiver at `<receiverUrl>/<id>`. */
export function receiverEndpoint(id: string, receiverUrl: string): Endpoint {
  return { ...testEndpoint(id), url: `${receiverUrl}/${id}` };
}
