import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, it } from "node:test";
import { uniqueId } from "@hookyard/scheduler/testing";
import { requireBrokers } from "@hookyard/test-brokers";
import { Redis } from "ioredis";
import { pino } from "pino";
import { Webhook } from "standardwebhooks";
import { resolveFakeConnector } from "../config/fake-connector.fixture.js";
import { loadConfigText } from "../config/load-config.js";
import { startGateway } from "./gateway.js";

// Issue 14, one clock: an instance whose host clock is off stamps and checks what the admin API issues on the
// store's clock (Redis time), like its schedules and leases. The host clock is made 2 h fast by replacing
// Date.now for the test (what a misconfigured host does to every Date.now caller); the skew dwarfs any run time,
// so the checks below are far from a timing window.

const brokers = requireBrokers("redis");
const HOUR = 3_600_000;
const ADMIN_KEY = "admin-key-1-0123456789";
const SIGNING_KEY = "portal-signing-key-0123456789abcdef";
const INGEST_KEY = "ingest-key-1-0123456789";
const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/** Makes this process's wall clock run 2 h fast until the returned function is called. */
function hostClockAhead(): () => void {
  const realNow = Date.now;
  Date.now = () => realNow() + 2 * HOUR;
  return () => {
    Date.now = realNow;
  };
}

async function redisNow(): Promise<number> {
  const redis = new Redis(brokers.redisUrl);
  try {
    const [seconds, micros] = await redis.time();
    return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
  } finally {
    redis.disconnect();
  }
}

/** A gateway on Redis (a prefix of its own) with the rest of its config from `yaml`, on a host clock 2 h fast. */
async function startSkewedGateway(yaml: string) {
  const config = await loadConfigText(
    `
server: { host: 127.0.0.1, port: 0 }
log: { level: silent }
redis: { url: "${brokers.redisUrl}", prefix: ${uniqueId("hy-clock")} }
${yaml}`,
    "hookyard.yaml",
    { env: {}, resolveConnector: resolveFakeConnector },
  );
  const restoreClock = hostClockAhead();
  const gateway = await startGateway(config, {
    logger: pino({ level: "silent" }),
    resolveConnector: async (type) => resolveFakeConnector(type),
  }).catch((error: unknown) => {
    restoreClock();
    throw error;
  });
  return { gateway, restoreClock };
}

describe("the admin API on a host with a skewed clock (Redis store)", () => {
  it("issues portal tokens, checks them and audits on Redis time", async () => {
    const { gateway, restoreClock } = await startSkewedGateway(
      `admin: { enabled: true, apiKeys: [${ADMIN_KEY}], portal: { signingKey: ${SIGNING_KEY} } }\n`,
    );
    const call = async (path: string, key: string, body?: unknown) => {
      const response = await fetch(`${gateway.url}/admin/v1${path}`, {
        method: body === undefined ? "GET" : "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };
    try {
      const issued = await call("/portal-tokens", ADMIN_KEY, { owner: "acme", ttlSeconds: 600 });
      assert.equal(issued.status, 201, JSON.stringify(issued.body));
      const expiresAt = Date.parse(String(issued.body.expiresAt));
      const now = await redisNow();
      // Issued on the host clock it would expire 2 h 10 min from now.
      assert.ok(expiresAt > now && expiresAt <= now + 600_000, `expires ${expiresAt - now} ms after Redis time`);

      // Checked on the host clock, a 10-minute token issued on Redis time would already have expired.
      const used = await call("/owners", String(issued.body.token));
      assert.equal(used.status, 200, JSON.stringify(used.body));
      assert.deepEqual(used.body.data, ["acme"]);

      const audit = await call("/audit", ADMIN_KEY);
      const entries = audit.body.data as { action: string; at: number }[];
      const at = entries.find((entry) => entry.action === "portal-token.create")?.at ?? Number.NaN;
      assert.ok(Math.abs(at - now) < HOUR, `audited ${at - now} ms from Redis time`);
    } finally {
      await gateway.stop();
      restoreClock();
    }
  });
});

interface Received {
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** A webhook receiver on 127.0.0.1: resolves with the first request it gets, answering 200. */
async function receiveOne(): Promise<{ url: string; received: Promise<Received>; close(): Promise<void> }> {
  let done: (request: Received) => void = () => undefined;
  const received = new Promise<Received>((resolve) => {
    done = resolve;
  });
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      response.writeHead(200).end("ok");
      done({ headers: request.headers, body: Buffer.concat(chunks).toString("utf8") });
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    received,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

describe("outgoing webhooks from a host with a skewed clock (Redis store)", () => {
  it("signs webhook-timestamp with Redis time: the receiver's Standard Webhooks check passes", async () => {
    const receiver = await receiveOne();
    const { gateway, restoreClock } = await startSkewedGateway(`
ingest: { enabled: true, apiKeys: [${INGEST_KEY}] }
egress: { allowCidrs: ["127.0.0.0/8"] }
endpoints:
  - { id: receiver, url: "${receiver.url}", secrets: ["${SECRET}"] }
subscriptions:
  - { id: all, endpoints: [receiver], types: ["*"] }
`);
    try {
      const posted = await fetch(`${gateway.url}/v1/events`, {
        method: "POST",
        headers: { authorization: `Bearer ${INGEST_KEY}`, "content-type": "application/json" },
        body: JSON.stringify({ id: uniqueId("evt"), type: "clock.checked", data: { n: 1 } }),
      });
      assert.equal(posted.status, 202);
      const { headers, body } = await receiver.received;
      restoreClock(); // the receiver checks on true time, as a receiver on another host does
      const stamped = Number(headers["webhook-timestamp"]) * 1000;
      const now = await redisNow();
      // On the host clock it would be 2 h ahead: far outside Standard Webhooks' 5-minute tolerance.
      assert.ok(Math.abs(stamped - now) < HOUR, `webhook-timestamp ${stamped - now} ms from Redis time`);
      const verified = new Webhook(SECRET).verify(body, headers as Record<string, string>);
      assert.deepEqual((verified as { data: unknown }).data, { n: 1 });
    } finally {
      await gateway.stop();
      restoreClock();
      await receiver.close();
    }
  });
});
