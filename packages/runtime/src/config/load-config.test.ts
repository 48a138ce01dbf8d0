import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { DEFAULT_ENDPOINT_POLICY } from "@hookyard/core";
import { resolveFakeConnector } from "./fake-connector.fixture.js";
import { loadConfig, loadConfigText } from "./load-config.js";
import { ConfigValidationError } from "./problems.js";
import { redactConfig } from "./redact-config.js";

const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const SECRET_2 = "whsec_c2Vjb25kLXNlY3JldC1mb3Itcm90YXRpb24=";
const ED25519 = `whsk_${Buffer.alloc(32, 7).toString("base64")}`;
const options = {
  env: { ACME_SECRET: SECRET, INGEST_KEY: "ingest-key-0123456789" },
  resolveConnector: resolveFakeConnector,
};

const FULL = `
server: { host: 0.0.0.0, port: 9090, shutdownGrace: 10s, internal: { host: 0.0.0.0, port: 9091 }, connectorCheckInterval: 30s }
log: { level: debug, format: json }
redis: { url: "redis://:hunter2-password@redis.internal:6379/0", prefix: hy-test }
ingest:
  enabled: true
  apiKeys: ["\${INGEST_KEY}"]
  maxBodyBytes: 2mb
egress: { allowCidrs: ["10.0.0.0/8", "::1/128"], timeout: 20s, maxResponseBodyBytes: 16kb }
endpoints:
  - id: acme-orders
    owner: acme
    url: https://hooks.acme.example/orders
    secrets:
      - \${ACME_SECRET}
      - { secret: "${SECRET_2}", expiresAt: "2030-01-01T00:00:00Z" }
    headers: { X-Tenant: acme, Authorization: "Bearer tenant-token-123" }
    policy:
      concurrency: 3
      rateLimit: { perSecond: 50 }
      retry: { schedule: [0, 5s, 5m, 2h], jitter: 0.2 }
      breaker: { cooldown: 1m }
  - id: globex
    url: http://globex.example/hook
    secrets: ["${ED25519}"]
    proxy: http://user:proxy-pass@proxy.internal:3128
subscriptions:
  - id: acme-paid
    endpoints: [acme-orders]
    types: ["order.*", "invoice.paid"]
    filter: { "data.amount": { $gte: 100 } }
  - id: all-to-globex
    endpoints: [globex, acme-orders]
    types: ["**"]
    enabled: false
sources:
  - id: orders
    type: fake
    mapping: { type: { header: ce-type }, key: { jsonPath: "customer.id" } }
    config: { topic: orders, password: broker-password-xyz, pollInterval: 2s, batch: { size: 50 } }
sinks:
  - id: audit
    type: fake
    config: { queue: audit }
ingress:
  routes:
    - id: stripe
      path: /in/stripe
      verifier: { type: stripe, secrets: ["whsec_stripe-signing-secret-value"] }
      defaultTargets: [audit]
`;

describe("loadConfig: a valid file", () => {
  it("round-trips into the typed config with defaults applied", async () => {
    const config = await loadConfigText(FULL, "hookyard.yaml", options);
    assert.deepEqual(config.server, {
      host: "0.0.0.0",
      port: 9090,
      shutdownGraceMs: 10_000,
      connectorCheckIntervalMs: 30_000,
      internal: { host: "0.0.0.0", port: 9091 },
      trustProxy: [],
      forwardedHeader: "x-forwarded-for",
      storeTimeoutMs: 1000,
    });
    assert.deepEqual(config.log, { level: "debug", format: "json", requests: "info" });
    assert.deepEqual(config.redis, {
      mode: "standalone",
      url: "redis://:hunter2-password@redis.internal:6379/0",
      prefix: "hy-test",
      ack: { mode: "everysec", replicas: 1, timeoutMs: 1000 },
      unverifiedConfig: false,
      shards: 1,
    });
    assert.deepEqual(config.ingest, {
      enabled: true,
      apiKeys: ["ingest-key-0123456789"],
      maxBodyBytes: 2 * 1024 * 1024,
      maxBatchEvents: 100,
      maxJsonDepth: 64,
    });
    assert.deepEqual(config.egress, {
      allowCidrs: ["10.0.0.0/8", "::1/128"],
      timeoutMs: 20_000,
      maxResponseBodyBytes: 16 * 1024,
    });

    const [acme, globex] = config.endpoints;
    assert.ok(acme && globex);
    assert.equal(acme.owner, "acme");
    assert.deepEqual(acme.secrets, [{ secret: SECRET }, { secret: SECRET_2, expiresAt: "2030-01-01T00:00:00Z" }]);
    assert.deepEqual(acme.headers, { "x-tenant": "acme", authorization: "Bearer tenant-token-123" });
    assert.equal(acme.enabled, true);
    assert.deepEqual(acme.policy, {
      concurrency: 3,
      orderedByKey: false,
      timeoutMs: 20_000,
      rateLimit: { perSecond: 50, burst: 50 },
      retry: { ...DEFAULT_ENDPOINT_POLICY.retry, scheduleMs: [0, 5000, 300_000, 7_200_000], jitter: 0.2 },
      breaker: { ...DEFAULT_ENDPOINT_POLICY.breaker, cooldownMs: 60_000 },
    });
    assert.equal(globex.owner, "globex", "owner defaults to the id");
    assert.equal(globex.proxy, "http://user:proxy-pass@proxy.internal:3128");
    assert.deepEqual(globex.policy, { ...DEFAULT_ENDPOINT_POLICY, timeoutMs: 20_000 });

    assert.deepEqual(config.subscriptions, [
      {
        id: "acme-paid",
        endpoints: ["acme-orders"],
        types: ["order.*", "invoice.paid"],
        enabled: true,
        filter: { "data.amount": { $gte: 100 } },
      },
      { id: "all-to-globex", endpoints: ["globex", "acme-orders"], types: ["**"], enabled: false },
    ]);
    assert.deepEqual(config.sources, [
      {
        id: "orders",
        type: "fake",
        enabled: true,
        mapping: { type: { header: "ce-type" }, key: { jsonPath: "customer.id" } },
        config: { topic: "orders", password: "broker-password-xyz", pollInterval: 2000, batch: { size: 50 } },
      },
    ]);
    assert.deepEqual(config.sinks, [{ id: "audit", type: "fake", enabled: true, config: { queue: "audit" } }]);
    assert.equal(config.ingress.routes.length, 1);
    assert.equal(config.ingress.routes[0]?.path, "/in/stripe");
    assert.equal(config.ingress.routes[0]?.verifierType, "stripe");
    assert.deepEqual(config.ingress.routes[0]?.defaultTargets, ["audit"]);
  });

  it("applies every default to a minimal file", async () => {
    const config = await loadConfigText("endpoints: []\n", "min.yaml", options);
    assert.deepEqual(
      config.server,
      {
        host: "127.0.0.1",
        port: 8080,
        shutdownGraceMs: 30_000,
        connectorCheckIntervalMs: 10_000,
        trustProxy: [],
        forwardedHeader: "x-forwarded-for",
        storeTimeoutMs: 1000,
      },
      "no internal listener unless its port is set",
    );
    assert.deepEqual(config.redis, { mode: "embedded", prefix: "hookyard" });
    assert.deepEqual(config.ingest, {
      enabled: false,
      apiKeys: [],
      maxBodyBytes: 1_048_576,
      maxBatchEvents: 100,
      maxJsonDepth: 64,
    });
    assert.equal(config.egress.timeoutMs, DEFAULT_ENDPOINT_POLICY.timeoutMs);
    assert.deepEqual(config.sources, []);
  });

  it("reads Redis Cluster seeds", async () => {
    const config = await loadConfigText(
      'redis: { cluster: ["10.0.0.1:6379", "[::1]:7000"], password: "cluster-pass", tls: true, shards: 12 }\n',
      "c.yaml",
      options,
    );
    assert.deepEqual(config.redis, {
      mode: "cluster",
      nodes: [
        { host: "10.0.0.1", port: 6379 },
        { host: "::1", port: 7000 },
      ],
      tls: true,
      prefix: "hookyard",
      password: "cluster-pass",
      ack: { mode: "everysec", replicas: 1, timeoutMs: 1000 },
      unverifiedConfig: false,
      shards: 12,
    });
  });

  it("takes the acknowledgement durability, and refuses replicated on a Cluster", async () => {
    const config = await loadConfigText(
      "redis: { url: redis://127.0.0.1:6379, ackDurability: replicated, ackReplicas: 2, ackReplicaTimeout: 250ms, unverifiedConfig: true }\n",
      "r.yaml",
      options,
    );
    assert.deepEqual(config.redis, {
      mode: "standalone",
      url: "redis://127.0.0.1:6379",
      prefix: "hookyard",
      ack: { mode: "replicated", replicas: 2, timeoutMs: 250 },
      unverifiedConfig: true,
      shards: 1,
    });
    // On a Cluster too: one WAIT per master the writes went to (each master's replica count checked at start-up).
    const cluster = await loadConfigText(
      'redis: { cluster: ["10.0.0.1:6379"], ackDurability: replicated }\n',
      "c.yaml",
      options,
    );
    assert.deepEqual(cluster.redis.mode === "cluster" && cluster.redis.ack, {
      mode: "replicated",
      replicas: 1,
      timeoutMs: 1000,
    });
    await assert.rejects(
      loadConfigText("redis: { url: redis://127.0.0.1:6379, ackDurability: sometimes }\n", "c.yaml", options),
      (error: unknown) => /redis\.ackDurability/.test(String((error as Error).message)),
    );
  });

  it("is deeply frozen", async () => {
    const config = await loadConfigText(FULL, "hookyard.yaml", options);
    assert.ok(Object.isFrozen(config));
    assert.ok(Object.isFrozen(config.endpoints[0]?.policy.retry.scheduleMs));
    assert.ok(Object.isFrozen(config.sources[0]?.config));
  });

  it("redacts every secret for printing", async () => {
    const config = await loadConfigText(FULL, "hookyard.yaml", options);
    const printed = JSON.stringify(redactConfig(config));
    for (const secret of [
      SECRET,
      SECRET_2,
      ED25519,
      "hunter2-password",
      "ingest-key-0123456789",
      "tenant-token-123",
      "proxy-pass",
      "broker-password-xyz",
    ]) {
      assert.ok(!printed.includes(secret), `${secret} leaked into ${printed}`);
    }
    const redacted = redactConfig(config) as {
      endpoints: { secrets: unknown; headers: Record<string, string> }[];
      sources: { config: Record<string, unknown> }[];
    };
    // As the file writes them: a plain string, then an object with an expiry.
    assert.deepEqual(redacted.endpoints[0]?.secrets, ["[redacted]", { secret: "[redacted]", expiresAt: "[redacted]" }]);
    assert.equal(redacted.endpoints[0]?.headers["x-tenant"], "acme", "ordinary values stay readable");
    assert.equal(redacted.endpoints[0]?.headers.authorization, "[redacted]");
    assert.equal(redacted.sources[0]?.config.topic, "orders");
    assert.equal(redacted.sources[0]?.config.password, "[redacted]");
  });
});

describe("loadConfig: interpolation", () => {
  const load = (yaml: string, env: Record<string, string>) =>
    loadConfigText(yaml, "env.yaml", { env, resolveConnector: resolveFakeConnector });

  // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal ${VAR} reference, not a template
  it("substitutes ${VAR} and ${VAR:-default}, and $${ is a literal", async () => {
    const config = await load(
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal ${VAR} reference, not a template
      'server: { host: "${HOST}", port: "${PORT:-7070}" }\nredis: { prefix: "${PREFIX:-x}-${ENVIRONMENT}" }\nendpoints:\n  - { id: e, url: "https://h.example/$${raw}?a=${Q:-}", secrets: ["${S}"] }\n',
      { HOST: "10.1.2.3", ENVIRONMENT: "prod", S: SECRET },
    );
    assert.equal(config.server.host, "10.1.2.3");
    assert.equal(config.server.port, 7070, "numbers from variables are converted");
    assert.equal(config.redis.prefix, "x-prod");
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal ${VAR} reference, not a template
    assert.equal(config.endpoints[0]?.url, "https://h.example/${raw}?a=");
  });

  it("uses the default when the variable is empty", async () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal ${VAR} reference, not a template
    const config = await load('redis: { prefix: "${P:-fallback}" }\n', { P: "" });
    assert.equal(config.redis.prefix, "fallback");
  });

  it("never interpolates keys", async () => {
    await assert.rejects(
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal ${VAR} reference, not a template
      load("server:\n  ${KEY}: 1\n", { KEY: "host" }),
      /server\["\$\{KEY\}"\]: expected one of the keys host/,
    );
  });

  it("names the variable and the key when a variable is unset", async () => {
    await assert.rejects(
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal ${VAR} reference, not a template
      load('endpoints:\n  - { id: e, url: "https://h.example", secrets: ["${ACME_WEBHOOK_SECRET}"] }\n', {}),
      (error: unknown) => {
        assert.ok(error instanceof ConfigValidationError);
        assert.equal(error.problems.length, 1, error.message);
        assert.match(
          error.message,
          /env\.yaml: endpoints\[0\]\.secrets\[0\]: expected environment variable ACME_WEBHOOK_SECRET to be set .*, found ACME_WEBHOOK_SECRET unset \(line 2\)/,
        );
        return true;
      },
    );
  });

  it("reports a malformed reference", async () => {
    await assert.rejects(
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal ${VAR} reference, not a template
      load('redis: { prefix: "${NOT CLOSED" }\n', {}),
      /redis\.prefix: expected \$\{NAME\} or \$\{NAME:-default\}/,
    );
  });
});

// [what is broken, yaml, texts the error message must contain]
const broken: [string, string, string[]][] = [
  [
    "an unknown key",
    "server: { prot: 80 }\n",
    [
      'bad.yaml: server.prot: expected one of the keys host, port, shutdownGrace, connectorCheckInterval, internal, trustProxy, forwardedHeader, storeTimeout, found the unknown key "prot" (did you mean "port"?) (line 1)',
    ],
  ],
  [
    "an unknown top-level key",
    "endpionts: []\n",
    [
      'bad.yaml: endpionts: expected one of the keys server, log, redis, history, ingest, delivery, telemetry, egress, admin, operator, ingress, endpoints, subscriptions, sources, sinks, eventTypes, found the unknown key "endpionts" (did you mean "endpoints"?)',
    ],
  ],
  [
    "an unknown endpoint key",
    `endpoints:\n  - { id: a, url: "https://a.example", secrets: ["${SECRET}"], retries: 3 }\n`,
    ["bad.yaml: endpoints[0].retries: expected one of the keys id, owner, url"],
  ],
  [
    "a wrong type",
    "server: { port: 99999 }\n",
    ["bad.yaml: server.port: expected a port number (0-65535), found 99999"],
  ],
  [
    "the internal listener on the public port",
    "server: { port: 8080, internal: { port: 8080 } }\n",
    ["bad.yaml: server.internal.port: expected a port other than server.port, found 8080"],
  ],
  [
    "a bad internal port",
    "server: { internal: { port: -1 } }\n",
    ["bad.yaml: server.internal.port: expected a port number (0-65535), found -1"],
  ],
  [
    "a string for a number",
    'server: { port: "80x" }\n',
    ['bad.yaml: server.port: expected a port number (0-65535), found "80x"'],
  ],
  [
    "yes/no for a boolean",
    "ingest: { enabled: no }\n",
    ['bad.yaml: ingest.enabled: expected true or false, found "no"'],
  ],
  [
    "a value for a group",
    "log: debug\n",
    ['bad.yaml: log: expected an object with the keys level, format, requests, found "debug"'],
  ],
  [
    "an object for a value",
    "server: { port: { n: 1 } }\n",
    ["bad.yaml: server.port: expected a port number (0-65535), found an object"],
  ],
  [
    "an enum value",
    "log: { level: loud }\n",
    ['bad.yaml: log.level: expected one of "fatal", "error", "warn", "info", "debug", "trace", "silent", found "loud"'],
  ],
  [
    "a bad duration",
    "egress: { timeout: soon }\n",
    [
      'bad.yaml: egress.timeout: expected a duration such as 500ms, 5s, 5m, 2h, 1d or a number of milliseconds, found "soon"',
    ],
  ],
  [
    "a bad size",
    "ingest: { maxBodyBytes: 1tb }\n",
    ['bad.yaml: ingest.maxBodyBytes: expected a size such as 512b, 64kb, 1mb or a number of bytes, found "1tb"'],
  ],
  [
    "a bad list item",
    'egress: { allowCidrs: ["10.0.0.0/8", "10.0.0.0/40"] }\n',
    ['bad.yaml: egress.allowCidrs[1]: expected a CIDR range such as "10.0.0.0/8" or "::1/128", found "10.0.0.0/40"'],
  ],
  [
    "an endpoint URL that is not http(s)",
    `endpoints:\n  - { id: a, url: "ftp://x", secrets: ["${SECRET}"] }\n`,
    ['bad.yaml: endpoints[0].url: expected an http(s) URL, found "ftp://x" (line 2)'],
  ],
  [
    "a missing endpoint URL",
    `endpoints:\n  - { id: a, secrets: ["${SECRET}"] }\n`,
    ["bad.yaml: endpoints[0].url: expected an http(s) URL, found nothing"],
  ],
  [
    "an endpoint without secrets",
    `endpoints:\n  - { id: a, url: "https://a.example" }\n`,
    ["bad.yaml: endpoints[0].secrets: expected a list of 1 to 10 signing secrets"],
  ],
  [
    "a retry schedule item",
    `endpoints:\n  - { id: a, url: "https://a.example", secrets: ["${SECRET}"], policy: { retry: { schedule: [0, 5x] } } }\n`,
    [
      'bad.yaml: endpoints[0].policy.retry.schedule[1]: expected a duration ("500ms", "5s", "5m", "2h", "1d" or milliseconds), found "5x"',
    ],
  ],
  [
    "an unsafe header",
    `endpoints:\n  - { id: a, url: "https://a.example", secrets: ["${SECRET}"], headers: { webhook-signature: x } }\n`,
    ["bad.yaml: endpoints[0].headers.webhook-signature: expected a header Hookyard does not set itself"],
  ],
  [
    "duplicate endpoint ids",
    `endpoints:\n  - { id: a, url: "https://a.example", secrets: ["${SECRET}"] }\n  - { id: a, url: "https://b.example", secrets: ["${SECRET}"] }\n`,
    ['bad.yaml: endpoints[1].id: expected a unique id, found "a", already used by endpoints[0] (line 3)'],
  ],
  [
    "duplicate subscription ids",
    `endpoints:\n  - { id: a, url: "https://a.example", secrets: ["${SECRET}"] }\nsubscriptions:\n  - { id: s, endpoints: [a], types: ["*"] }\n  - { id: s, endpoints: [a], types: ["*"] }\n`,
    ['bad.yaml: subscriptions[1].id: expected a unique id, found "s", already used by subscriptions[0]'],
  ],
  [
    "duplicate source ids",
    "sources:\n  - { id: k, type: fake, config: { topic: a } }\n  - { id: k, type: fake, config: { topic: b } }\n",
    ['bad.yaml: sources[1].id: expected a unique id, found "k", already used by sources[0]'],
  ],
  [
    "duplicate sink ids",
    "sinks:\n  - { id: k, type: fake, config: { queue: a } }\n  - { id: k, type: fake, config: { queue: b } }\n",
    ['bad.yaml: sinks[1].id: expected a unique id, found "k"'],
  ],
  [
    "a subscription naming a missing endpoint",
    `endpoints:\n  - { id: acme-orders, url: "https://a.example", secrets: ["${SECRET}"] }\nsubscriptions:\n  - { id: s, endpoints: [acme-order], types: ["*"] }\n`,
    [
      'bad.yaml: subscriptions[0].endpoints[0]: expected the id of an endpoint defined in endpoints, found "acme-order", which is not defined (did you mean "acme-orders"?) (line 4)',
    ],
  ],
  [
    "a bad filter operator",
    `endpoints:\n  - { id: a, url: "https://a.example", secrets: ["${SECRET}"] }\nsubscriptions:\n  - id: s\n    endpoints: [a]\n    types: ["*"]\n    filter: { "data.amount": { $gtx: 100 } }\n`,
    [
      'bad.yaml: subscriptions[0].filter["data.amount"].$gtx: expected one of $eq, $neq, $gt, $gte, $lt, $lte, $in, $nin, $exists, $regex, $not, found "$gtx" (line 7)',
    ],
  ],
  [
    "a bad filter operand",
    `endpoints:\n  - { id: a, url: "https://a.example", secrets: ["${SECRET}"] }\nsubscriptions:\n  - { id: s, endpoints: [a], types: ["*"], filter: { "data.tags": { $in: tag } } }\n`,
    ['bad.yaml: subscriptions[0].filter["data.tags"].$in: expected a list of at most 1000 values, found "tag"'],
  ],
  [
    "a bad type glob",
    `endpoints:\n  - { id: a, url: "https://a.example", secrets: ["${SECRET}"] }\nsubscriptions:\n  - { id: s, endpoints: [a], types: ["order.created", "inv*"] }\n`,
    ['bad.yaml: subscriptions[0].types[1]: expected * or ** as whole segments only (e.g. invoice.*), found "inv*"'],
  ],
  [
    "an unknown connector type",
    "sources:\n  - { id: k, type: kafak, config: {} }\n",
    [
      'bad.yaml: sources[0].type: expected a built-in connector or an installed package exporting one, found "kafak" (connector type "kafak" is not built in',
    ],
  ],
  [
    "a connector without that side",
    "sources:\n  - { id: k, type: sink-only, config: {} }\n",
    ['bad.yaml: sources[0].type: expected a connector with a source side, found "sink-only" without one'],
  ],
  [
    "an unknown connector config key",
    "sources:\n  - { id: k, type: fake, config: { topic: a, topics: [b] } }\n",
    [
      'bad.yaml: sources[0].config.topics: expected one of the keys topic, password, pollInterval, batch, found the unknown key "topics" (did you mean "topic"?) (line 2)',
    ],
  ],
  [
    "a missing connector config key",
    "sources:\n  - { id: k, type: fake }\n",
    ["bad.yaml: sources[0].config.topic: expected a string, found nothing"],
  ],
  [
    "a wrong connector config type",
    "sinks:\n  - { id: k, type: fake, config: { queue: 5 } }\n",
    ["bad.yaml: sinks[0].config.queue: expected a string, found 5"],
  ],
  [
    "a bad envelope mapping",
    "sources:\n  - { id: k, type: fake, mapping: { type: { jsonPath: $.type } }, config: { topic: a } }\n",
    [
      'bad.yaml: sources[0].mapping.type.jsonPath: expected a dotted path into the JSON body such as "data.type" (no "$." prefix), found "$.type"',
    ],
  ],
  ["a list that is not a list", "endpoints: { id: a }\n", ["bad.yaml: endpoints: expected a list, found an object"]],
  [
    "ingest on without keys",
    "ingest: { enabled: true }\n",
    ["bad.yaml: ingest.apiKeys: expected at least one API key while ingest.enabled is true, found an empty list"],
  ],
  [
    "a history URL that is not PostgreSQL's",
    'history: { postgres: { url: "mysql://db/h" } }\n',
    ["bad.yaml: history.postgres.url: expected a postgres:// or postgresql:// URL, found a string (value hidden)"],
  ],
  [
    "a history retention under an hour",
    "history: { retention: 10m }\n",
    ["bad.yaml: history.retention: expected a duration of at least 1h, found 600000 ms"],
  ],
  [
    "a de-duplication window under a minute",
    "delivery: { dedupWindow: 10s }\n",
    ["bad.yaml: delivery.dedupWindow: expected a duration between 1m and 30d, found 10s"],
  ],
  [
    "redis url and cluster",
    'redis: { url: "redis://r:6379", cluster: ["a:1"] }\n',
    ["bad.yaml: redis.cluster: expected either redis.url or redis.cluster, not both"],
  ],
  [
    "YAML syntax",
    "server:\n  host: [127.0.0.1\n  port: 80\n",
    [
      "bad.yaml: expected valid YAML, found Flow sequence in block collection must be sufficiently indented and end with a ] (line 3)",
    ],
  ],
  [
    "a duplicate YAML key",
    "server: { port: 1 }\nserver: { port: 2 }\n",
    ["bad.yaml: expected valid YAML, found Map keys must be unique (line 2)"],
  ],
  [
    "an empty file",
    "",
    ["bad.yaml: expected a config object (server, redis, endpoints, subscriptions, …), found null"],
  ],
];

describe("loadConfig: broken files", () => {
  for (const [name, yaml, expected] of broken) {
    it(`reports ${name} with the file and the key path`, async () => {
      await assert.rejects(loadConfigText(yaml, "bad.yaml", options), (error: unknown) => {
        assert.ok(error instanceof ConfigValidationError, String(error));
        assert.equal(error.code, "CONFIG_INVALID");
        assert.equal(error.retryable, false);
        for (const text of expected)
          assert.ok(error.message.includes(text), `${error.message}\n  should contain\n${text}`);
        return true;
      });
    });
  }

  it("reports every problem at once, in file order", async () => {
    const yaml = [
      "server: { port: x }",
      "log: { level: loud }",
      "endpoints:",
      '  - { id: a, url: "ftp://a", secrets: [nope] }',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal ${VAR} reference, not a template
      '  - { id: a, url: "https://b.example", secrets: ["${MISSING}"] }',
      "subscriptions:",
      '  - { id: s, endpoints: [zzz], types: ["a..b"], filter: { x: { $bad: 1 } } }',
      "sources:",
      "  - { id: k, type: nope }",
      "extra: 1",
    ].join("\n");
    await assert.rejects(loadConfigText(yaml, "bad.yaml", options), (error: unknown) => {
      assert.ok(error instanceof ConfigValidationError);
      const paths = error.problems.map((problem) => problem.path);
      assert.deepEqual(paths, [
        "server.port",
        "log.level",
        "endpoints[0].url",
        "endpoints[0].secrets[0]",
        "endpoints[1].id",
        "endpoints[1].secrets[0]",
        "subscriptions[0].endpoints[0]",
        "subscriptions[0].types[0]",
        "subscriptions[0].filter.x.$bad",
        "sources[0].type",
        "extra",
      ]);
      assert.ok(error.problems.every((problem) => problem.file === "bad.yaml" && problem.line !== undefined));
      return true;
    });
  });

  // [where the secret is, yaml, the secret value that must not appear]
  const secrets: [string, string, string][] = [
    [
      "an endpoint secret of the wrong shape",
      'endpoints:\n  - { id: a, url: "https://a.example", secrets: ["not-a-real-secret-42"] }\n',
      "not-a-real-secret-42",
    ],
    [
      "an endpoint secret of the wrong type",
      'endpoints:\n  - { id: a, url: "https://a.example", secrets: 424242424242 }\n',
      "424242424242",
    ],
    [
      "a short whsec_ secret",
      'endpoints:\n  - { id: a, url: "https://a.example", secrets: ["whsec_c2hvcnQ="] }\n',
      "c2hvcnQ",
    ],
    ["a redis URL", 'redis: { url: "http://user:redis-pass-77@r" }\n', "redis-pass-77"],
    ["an API key", "ingest: { enabled: true, apiKeys: [12345678901] }\n", "12345678901"],
    [
      "a connector password",
      "sources:\n  - { id: k, type: fake, config: { topic: a, password: 31415926535 } }\n",
      "31415926535",
    ],
    [
      "a credential header",
      'endpoints:\n  - { id: a, url: "https://a.example", secrets: ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"], headers: { authorization: "Bearer\\ntoken-99" } }\n',
      "token-99",
    ],
  ];
  for (const [name, yaml, secret] of secrets) {
    it(`does not echo ${name}`, async () => {
      await assert.rejects(loadConfigText(yaml, "bad.yaml", options), (error: unknown) => {
        assert.ok(error instanceof ConfigValidationError);
        assert.ok(error.problems.length > 0);
        assert.ok(!error.message.includes(secret), error.message);
        assert.ok(!JSON.stringify(error.problems).includes(secret));
        assert.match(error.message, /value hidden/);
        return true;
      });
    });
  }
});

describe("loadConfig: files", () => {
  let dir = "";
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "hookyard-config-"));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("reads YAML and JSON by extension", async () => {
    const yamlFile = join(dir, "a.yaml");
    const jsonFile = join(dir, "a.json");
    await writeFile(yamlFile, "server: { port: 1234 }\n");
    await writeFile(jsonFile, JSON.stringify({ server: { port: 4321 } }));
    assert.equal((await loadConfig(yamlFile, options)).server.port, 1234);
    assert.equal((await loadConfig(jsonFile, options)).server.port, 4321);
  });

  it("names the file in JSON syntax errors with the line", async () => {
    const file = join(dir, "broken.json");
    await writeFile(file, '{\n  "server": { "port": 1 },\n  "log": {\n}');
    await assert.rejects(loadConfig(file, options), (error: unknown) => {
      assert.ok(error instanceof ConfigValidationError);
      assert.ok(error.message.includes(`${file}: expected valid YAML`), error.message);
      assert.ok(error.problems[0]?.line !== undefined);
      return true;
    });
  });

  it("refuses other extensions and missing files", async () => {
    await assert.rejects(
      loadConfig(join(dir, "hookyard.toml"), options),
      /hookyard\.toml: expected a \.yaml, \.yml or \.json file, found "\.toml"/,
    );
    await assert.rejects(
      loadConfig(join(dir, "missing.yaml"), options),
      /missing\.yaml: expected a readable file, found ENOENT/,
    );
  });
});

describe("loadConfig: delivery lease and endpoint timeouts", () => {
  const endpoint = (timeout: string) =>
    `endpoints:\n  - id: a\n    url: https://a.example/h\n    secrets: [${SECRET}]\n    policy: { timeout: ${timeout} }\n`;

  it("reads an endpoint timeout written as a duration string", async () => {
    const config = await loadConfigText(endpoint('"2s"'), "t.yaml", options);
    assert.equal(config.endpoints[0]?.policy.timeoutMs, 2000);
    assert.equal(config.delivery.leaseMs, 30_000);
  });

  it("keeps de-duplication keys 24 h by default, or for delivery.dedupWindow", async () => {
    assert.equal((await loadConfigText(endpoint("1000"), "t.yaml", options)).delivery.dedupWindowMs, 86_400_000);
    const config = await loadConfigText(`delivery: { dedupWindow: 3d }\n${endpoint("1000")}`, "t.yaml", options);
    assert.equal(config.delivery.dedupWindowMs, 3 * 86_400_000);
  });

  it("refuses a lease that does not outlast the longest endpoint timeout", async () => {
    await assert.rejects(
      loadConfigText(`delivery: { lease: 10s }\n${endpoint("20s")}`, "t.yaml", options),
      /t\.yaml: delivery\.lease: expected a lease longer than the longest endpoint timeout \(20s\), found 10s/,
    );
  });
});
