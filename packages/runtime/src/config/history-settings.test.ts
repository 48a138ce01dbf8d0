import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { resolveFakeConnector } from "./fake-connector.fixture.js";
import { loadConfigText } from "./load-config.js";
import { ConfigValidationError } from "./problems.js";
import { redactConfig } from "./redact-config.js";

const load = (yaml: string, env: Record<string, string> = {}) =>
  loadConfigText(yaml, "h.yaml", { env, resolveConnector: resolveFakeConnector });
const DAY = 24 * 60 * 60 * 1000;

describe("config: history", () => {
  it("keeps history in memory by default, bounded, with the default retentions", async () => {
    const config = await load("{}\n");
    assert.deepEqual(config.history, {
      kind: "memory",
      maxDelivered: 10_000,
      maxDeadLetters: 10_000,
      retentionMs: 3 * DAY,
      deadLetterRetentionMs: 30 * DAY,
      outboxMaxRecords: 100_000,
      handoffLingerMs: 500,
    });
  });

  it("uses PostgreSQL when history.postgres.url is set, and redacts the URL", async () => {
    const url = "postgres://hy:s3cret-pw@db.internal:5432/hookyard?sslmode=verify-full";
    const config = await load(
      `history: { postgres: { url: "${url}", schema: hy_prod, poolSize: 4, statementTimeout: 5s }, retention: 2d, deadLetterRetention: 14d, outboxMaxRecords: 5000, handoffLinger: 2s }\n`,
    );
    assert.deepEqual(config.history, {
      kind: "postgres",
      postgres: { url, schema: "hy_prod", poolSize: 4, statementTimeoutMs: 5_000 },
      retentionMs: 2 * DAY,
      deadLetterRetentionMs: 14 * DAY,
      outboxMaxRecords: 5000,
      handoffLingerMs: 2_000,
    });
    assert.doesNotMatch(JSON.stringify(redactConfig(config)), /s3cret-pw/);
  });

  it("takes the URL from $HOOKYARD_HISTORY_POSTGRES_URL when the file leaves it unset; the file wins", async () => {
    const env = { HOOKYARD_HISTORY_POSTGRES_URL: "postgresql://env-host/h" };
    const fromEnv = await load("{}\n", env);
    assert.equal(fromEnv.history.kind === "postgres" && fromEnv.history.postgres.url, "postgresql://env-host/h");
    const fromFile = await load('history: { postgres: { url: "postgres://file-host/h" } }\n', env);
    assert.equal(fromFile.history.kind === "postgres" && fromFile.history.postgres.url, "postgres://file-host/h");
    await assert.rejects(load("{}\n", { HOOKYARD_HISTORY_POSTGRES_URL: "redis://nope" }), (error: unknown) => {
      assert.ok(error instanceof ConfigValidationError);
      assert.match(
        error.message,
        /history\.postgres\.url: expected a postgres:\/\/ URL in \$HOOKYARD_HISTORY_POSTGRES_URL/,
      );
      return true;
    });
  });

  it("refuses a hand-off linger over a minute, naming the setting", async () => {
    await assert.rejects(load("history: { handoffLinger: 5m }\n"), (error: unknown) => {
      assert.ok(error instanceof ConfigValidationError);
      assert.match(error.message, /history\.handoffLinger: expected a duration of at most 1m/);
      return true;
    });
    assert.equal((await load("history: { handoffLinger: 0ms }\n")).history.handoffLingerMs, 0);
  });
});
