import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { pino } from "pino";
import { resolveFakeConnector } from "../config/fake-connector.fixture.js";
import { loadConfigText } from "../config/load-config.js";
import type { HookyardConfig } from "../config/types.js";
import { createMetrics } from "../metrics.js";
import { configChanges, type LivePart } from "./config-changes.js";
import { type ApplyConfig, createConfigReloader } from "./config-reloader.js";

const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const options = { env: {}, resolveConnector: resolveFakeConnector };

function text(version: { port?: number; endpoints?: string[]; types?: string[] } = {}): string {
  const endpoints = version.endpoints ?? ["a"];
  return `
server: { port: ${version.port ?? 8080} }
endpoints:
${endpoints.map((id) => `  - { id: ${id}, url: "https://example.com/${id}", secrets: ["${SECRET}"] }`).join("\n")}
subscriptions:
  - { id: all, endpoints: [${endpoints.join(", ")}], types: [${(version.types ?? ["order.*"]).join(", ")}] }
`;
}

const load = (source: string): Promise<HookyardConfig> => loadConfigText(source, "hookyard.yaml", options);

async function counted(metrics: ReturnType<typeof createMetrics>): Promise<Record<string, number>> {
  const { values } = await metrics.configReloads.get();
  return Object.fromEntries(
    values.filter((value) => value.value > 0).map((value) => [String(value.labels.result), value.value]),
  );
}

describe("config changes", () => {
  it("names live parts and restart-only key paths (never values), ignoring what only moved or was defaulted", async () => {
    const running = await load(text());
    const same = await load(`# a comment\n${text()}\nlog: { level: info }`);
    assert.deepEqual(configChanges(running, same, { ingressServed: false }), { live: [], restartRequired: [] });
    const next = await load(
      `${text({ port: 9090, endpoints: ["a", "b"] })}\nredis: { url: "redis://:s3cret@db:6379" }`,
    );
    const changes = configChanges(running, next, { ingressServed: false });
    assert.deepEqual(changes.live, ["endpoints", "subscriptions"]);
    assert.deepEqual(changes.restartRequired, ["server.port", "redis.url"]);
    assert.ok(!JSON.stringify(changes).includes("s3cret"));
  });

  it("inbound routes appear live only when the instance serves inbound webhooks", async () => {
    const route = `
ingress:
  routes:
    - { id: r, path: /in/r, verifier: { type: api-key, secrets: ["route-key-0123456789abcdef"] }, defaultTargets: [a] }
`;
    const running = await load(text());
    const next = await load(`${text()}${route}`);
    assert.deepEqual(configChanges(running, next, { ingressServed: true }).live, ["ingress.routes"]);
    assert.deepEqual(configChanges(running, next, { ingressServed: false }), {
      live: [],
      restartRequired: ["ingress.routes (this instance started without inbound routes)"],
    });
  });
});

describe("config reloader", () => {
  it("runs one reload at a time: a second one waits for the first, then reads the file again", async () => {
    const initial = await load(text());
    let file = text({ endpoints: ["a", "b"] });
    const events: string[] = [];
    let releaseFirst: (() => void) | undefined;
    const applying: ApplyConfig = async (next, live) => {
      const ids = next.endpoints.map((e) => e.id).join(",");
      events.push(`apply ${ids} ${live.join("+")}`);
      if (releaseFirst === undefined) await new Promise<void>((resolve) => (releaseFirst = resolve));
      events.push(`applied ${ids}`);
      return [];
    };
    const metrics = createMetrics({ defaultMetrics: false });
    const reloader = createConfigReloader({
      initial,
      load: async () => {
        events.push("load");
        return load(file);
      },
      apply: applying,
      ingressServed: false,
      metrics,
      logger: pino({ level: "silent" }),
    });
    const first = reloader.reload("signal");
    while (releaseFirst === undefined) await new Promise((resolve) => setImmediate(resolve));
    file = text({ endpoints: ["a", "b", "c"] });
    const second = reloader.reload("api");
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(events, ["load", "apply a,b endpoints+subscriptions"], "the second waits");
    releaseFirst();
    assert.equal((await first).result, "applied");
    const report = await second;
    assert.equal(report.result, "applied");
    assert.deepEqual(report.applied, ["endpoints", "subscriptions"] satisfies LivePart[]);
    assert.deepEqual(events, [
      "load",
      "apply a,b endpoints+subscriptions",
      "applied a,b",
      "load",
      "apply a,b,c endpoints+subscriptions",
      "applied a,b,c",
    ]);
    assert.deepEqual(await counted(metrics), { applied: 2 });
  });

  it("refuses an invalid file with validate's messages and a conflicting one with the key path; keeps the running config", async () => {
    const initial = await load(text());
    let file = text({ endpoints: ["a", "b"] }).replace("https://example.com/b", "ftp://nowhere");
    let expected: string[] = [];
    try {
      await load(file);
    } catch (error) {
      expected = (error as { problems: { message: string }[] }).problems.map((p) => p.message);
    }
    assert.equal(expected.length, 1);
    let applied = 0;
    const metrics = createMetrics({ defaultMetrics: false });
    const reloader = createConfigReloader({
      initial,
      load: () => load(file),
      apply: async (next) => {
        if (next.endpoints.some((e) => e.id === "taken")) {
          return [{ path: "endpoints[1].id", expected: "an id not used by the admin API", found: '"taken"' }];
        }
        applied += 1;
        return [];
      },
      ingressServed: false,
      metrics,
      logger: pino({ level: "silent" }),
    });
    const invalid = await reloader.reload("api");
    assert.equal(invalid.result, "invalid");
    assert.deepEqual(invalid.problems, expected);
    assert.equal(invalid.config.hash, initial.hash, "the running config stays");

    file = text({ endpoints: ["a", "taken"] });
    const conflict = await reloader.reload("api");
    assert.equal(conflict.result, "invalid");
    assert.deepEqual(conflict.problems, [
      'hookyard.yaml: endpoints[1].id: expected an id not used by the admin API, found "taken"',
    ]);

    file = `# same meaning\n${text()}`;
    const unchanged = await reloader.reload("signal");
    assert.equal(unchanged.result, "unchanged");
    assert.notEqual(unchanged.config.hash, initial.hash, "the file's own hash is shown");

    file = text({ port: 9999 });
    const restartOnly = await reloader.reload("signal");
    assert.equal(restartOnly.result, "applied");
    assert.deepEqual(restartOnly.restartRequired, ["server.port"]);
    assert.deepEqual(reloader.loaded().restartRequired, ["server.port"]);
    assert.equal(applied, 0, "nothing live changed, nothing applied");
    assert.deepEqual(await counted(metrics), { invalid: 2, unchanged: 1, applied: 1 });
  });

  it("a failure while applying (the store unreachable) is reported as failed, and the next reload tries again", async () => {
    const initial = await load(text());
    let storeUp = false;
    const reloader = createConfigReloader({
      initial,
      load: () => load(text({ types: ["invoice.*"] })),
      apply: async () => {
        if (!storeUp) throw new Error("connect ECONNREFUSED 127.0.0.1:6379");
        return [];
      },
      ingressServed: false,
      metrics: createMetrics({ defaultMetrics: false }),
      logger: pino({ level: "silent" }),
    });
    const failed = await reloader.reload("signal");
    assert.equal(failed.result, "failed");
    assert.deepEqual(failed.problems, ["connect ECONNREFUSED 127.0.0.1:6379"]);
    storeUp = true;
    assert.deepEqual((await reloader.reload("signal")).applied, ["subscriptions"]);
  });
});
