import { timingSafeEqual } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { signPayload } from "@hookyard/delivery";
import type { Logger } from "pino";

/** One webhook the demo receiver got. */
export interface ReceivedWebhook {
  readonly id: string;
  readonly type: string | undefined;
  readonly timestamp: string;
  readonly verified: boolean;
  readonly receivedAt: string;
  readonly body: string;
}

export interface DemoReceiver {
  readonly url: string;
  readonly received: readonly ReceivedWebhook[];
  close(): Promise<void>;
}

const MAX_KEPT = 100;
const MAX_BODY_BYTES = 1024 * 1024;

/**
 * A tiny customer endpoint for the embedded default and the quick start: it checks each webhook's Standard
 * Webhooks signature with the endpoint's secret, logs it, and lists the last ones at `GET <path>`.
 */
export async function startDemoReceiver(options: {
  readonly host: string;
  readonly port: number;
  readonly path: string;
  readonly secret: string;
  readonly logger: Logger;
}): Promise<DemoReceiver> {
  const received: ReceivedWebhook[] = [];
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? "/").split("?")[0];
    if (path !== options.path) {
      response.writeHead(404).end();
      return;
    }
    if (request.method === "GET") {
      response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(received, null, 2));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    request.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) request.destroy();
      else chunks.push(chunk);
    });
    request.on("end", () => {
      const body = Buffer.concat(chunks);
      const webhook = {
        id: header(request.headers, "webhook-id") ?? "",
        type: tryType(body),
        timestamp: header(request.headers, "webhook-timestamp") ?? "",
        verified: verify(request.headers, body, options.secret),
        receivedAt: new Date().toISOString(),
        body: body.toString("utf8").slice(0, 4096),
      };
      received.push(webhook);
      if (received.length > MAX_KEPT) received.shift();
      options.logger.info(
        { webhookId: webhook.id, type: webhook.type, verified: webhook.verified },
        "demo receiver got a webhook",
      );
      response.writeHead(webhook.verified ? 204 : 401).end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${options.host}:${port}${options.path}`,
    received,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

function verify(headers: IncomingHttpHeaders, body: Buffer, secret: string): boolean {
  const id = header(headers, "webhook-id");
  const timestamp = Number(header(headers, "webhook-timestamp"));
  const signatures = header(headers, "webhook-signature");
  if (!id || !Number.isInteger(timestamp) || !signatures) return false;
  const expected = Buffer.from(signPayload({ id, timestamp, payload: body, secrets: [secret] }));
  return signatures.split(" ").some((candidate) => {
    const given = Buffer.from(candidate);
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function tryType(body: Buffer): string | undefined {
  try {
    const parsed = JSON.parse(body.toString("utf8")) as { type?: unknown };
    return typeof parsed?.type === "string" ? parsed.type : undefined;
  } catch {
    return undefined;
  }
}
