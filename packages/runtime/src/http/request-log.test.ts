import assert from "node:assert/strict";
import { PassThrough } from "node:stream";
import { describe, it } from "node:test";
import { createLogger } from "../logger.js";
import { createMetrics } from "../metrics.js";
import { createHttpServer } from "./server.js";

function captured(level = "info") {
  const stream = new PassThrough();
  const chunks: string[] = [];
  stream.on("data", (chunk: Buffer) => chunks.push(chunk.toString()));
  const logger = createLogger({ level, format: "json", stream });
  const lines = () =>
    chunks
      .join("")
      .split("\n")
      .filter((line) => line.trim() !== "")
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  return { logger, lines, text: () => chunks.join("") };
}

describe("logs that Loki, Cloud Logging and Datadog read without mapping", () => {
  it("a JSON line has a level name, a Cloud Logging severity, an ISO time and the text in message", () => {
    const { logger, lines } = captured();
    logger.warn({ endpoint: "e1" }, "endpoint is slow");
    const [line] = lines();
    assert.equal(line?.level, "warn");
    assert.equal(line?.severity, "WARNING");
    assert.match(String(line?.time), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.equal(line?.message, "endpoint is slow");
    assert.equal(line?.endpoint, "e1");
    assert.equal(line?.service, "hookyard");
  });

  it("redacts secrets by path as a second line of defence", () => {
    const { logger, text } = captured();
    logger.info(
      {
        apiKey: "key-aaaa",
        config: { password: "pw-bbbb" },
        headers: { authorization: "Bearer tok-cccc", "x-api-key": "k-dddd" },
      },
      "careless",
    );
    for (const secret of ["key-aaaa", "pw-bbbb", "tok-cccc", "k-dddd"]) assert.ok(!text().includes(secret), secret);
    assert.match(text(), /\[redacted\]/);
  });

  const serverOptions = {
    listener: "public",
    metrics: createMetrics(),
    readiness: async () => ({ ready: true, checks: [], components: [] }),
    readinessErrors: true,
  } as const;

  it("one line per HTTP request at the configured level: method, path without query, status, duration; no secrets", async () => {
    const { logger, lines, text } = captured("debug");
    const app = createHttpServer({ logger, ...serverOptions });
    app.post("/v1/events", async (_request, reply) => reply.code(202).send({ ok: true }));
    await app.ready();
    try {
      const response = await app.inject({
        method: "POST",
        url: "/v1/events?token=query-secret-1234",
        headers: { authorization: "Bearer header-secret-5678", "content-type": "application/json" },
        payload: "{}",
      });
      assert.equal(response.statusCode, 202);
      await app.inject({ method: "GET", url: "/healthz" });
      await app.inject({ method: "GET", url: "/nowhere" });
      const requests = lines().filter((line) => line.message === "request");
      assert.equal(requests.length, 3);
      const [ingest, probe, missing] = requests;
      assert.equal(ingest?.level, "info");
      assert.equal(ingest?.method, "POST");
      assert.equal(ingest?.path, "/v1/events");
      assert.equal(ingest?.status, 202);
      assert.equal(typeof ingest?.durationMs, "number");
      assert.equal(typeof ingest?.remoteAddress, "string");
      assert.equal(probe?.level, "debug", "probes only at debug");
      assert.equal(missing?.status, 404);
      assert.ok(!text().includes("query-secret-1234") && !text().includes("header-secret-5678"));
    } finally {
      await app.close();
    }
  });

  it("the level is configurable, and silent turns request lines off", async () => {
    for (const [requestLogLevel, expected] of [
      ["warn", "warn"],
      ["silent", undefined],
    ] as const) {
      const { logger, lines } = captured();
      const app = createHttpServer({ logger, ...serverOptions, requestLogLevel });
      await app.ready();
      await app.inject({ method: "GET", url: "/nowhere" });
      await app.close();
      assert.equal(lines().find((line) => line.message === "request")?.level, expected);
    }
  });
});
