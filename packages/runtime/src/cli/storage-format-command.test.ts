import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { createRedisStore } from "@hookyard/scheduler";
import { testEndpoint, testEnvelope } from "@hookyard/scheduler/testing";
import { requireBrokers, uniqueName } from "@hookyard/test-brokers";
import { Redis } from "ioredis";
import { runCliCaptured } from "./captured-cli.js";

const { redisUrl } = requireBrokers("redis");

const cli = runCliCaptured;

describe("hookyard storage-format", () => {
  let dir: string;
  const prefix = uniqueName("hysf");
  const admin = new Redis(redisUrl);
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "hookyard-storage-format-"));
  });
  after(async () => {
    const keys = await admin.keys(`{${prefix}}:*`); // this test's few keys; KEYS is fine on a test Redis
    if (keys.length > 0) await admin.del(...keys);
    await admin.quit();
    await rm(dir, { recursive: true, force: true });
  });

  it("prints an older deployment's format, upgrades it once asked, and a running store follows", async () => {
    const file = join(dir, "hookyard.yaml");
    await writeFile(file, `redis: { url: "${redisUrl}", prefix: ${prefix} }\n`);
    // Data an older version wrote: endpoints synced, no format recorded.
    await admin.sadd(`{${prefix}}:endpoints`, "ep-of-an-older-version");
    const store = createRedisStore({ redis: redisUrl, prefix });
    try {
      await store.syncEndpoints([testEndpoint("ep-sf")]);
      const shown = await cli(["storage-format", "-c", file]);
      assert.equal(shown.code, 0, shown.err);
      assert.equal(
        shown.out,
        `prefix "${prefix}": storage format 1; this version writes up to 2 (once every instance runs it: ` +
          "hookyard storage-format --upgrade)\n",
      );

      const upgraded = await cli(["storage-format", "-c", file, "--upgrade"]);
      assert.equal(upgraded.code, 0, upgraded.err);
      assert.equal(upgraded.out, `prefix "${prefix}": storage format 1 → 2\n`);
      assert.equal(
        (await cli(["storage-format", "-c", file, "--upgrade"])).out,
        `prefix "${prefix}": already at storage format 2\n`,
      );
      assert.equal(
        (await cli(["storage-format", "-c", file])).out,
        `prefix "${prefix}": storage format 2; this version writes up to 2\n`,
      );

      // The running store learns it from its next call's reply, then keeps a batch's envelopes in one hash.
      const batch = () =>
        Promise.all(
          Array.from({ length: 8 }, () => store.enqueue({ envelope: testEnvelope(), endpointIds: ["ep-sf"], now: 1 })),
        );
      await batch();
      assert.equal(await admin.exists(store.keys.envelopes), 0);
      await batch();
      assert.equal(await admin.hlen(store.keys.envelopes), 8);
    } finally {
      await store.close();
    }
  });

  it("refuses a config without Redis (78)", async () => {
    const file = join(dir, "embedded.yaml");
    await writeFile(file, "redis: {}\n");
    const refused = await cli(["storage-format", "-c", file]);
    assert.equal(refused.code, 78);
    assert.match(refused.err, /redis\.url and redis\.cluster are unset/);
  });
});
