import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { resolveFakeConnector } from "./fake-connector.fixture.js";
import { loadConfigText } from "./load-config.js";
import { OPERATOR_EVENT_TYPES } from "./operator-event-types.js";
import { redactConfig } from "./redact-config.js";

const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const options = { env: {}, resolveConnector: resolveFakeConnector };

async function problemsOf(yaml: string): Promise<string> {
  try {
    await loadConfigText(yaml, "ops.yaml", options);
  } catch (error) {
    return String(error);
  }
  assert.fail("the config was accepted");
}

describe("config: operator endpoints and the payload format", () => {
  it("reads operator endpoints as internal endpoints: prefixed id, owner hookyard, every alert by default", async () => {
    const config = await loadConfigText(
      `
operator:
  outboxFillAlert: 0.6
  endpoints:
    - { id: pager, url: "https://ops.example/alerts", secrets: ["${SECRET}"] }
    - id: deadletters
      url: "https://ops.example/dead"
      secrets: ["${SECRET}"]
      events: [delivery.dead]
      headers: { Authorization: "Bearer ops-token-123" }
      policy: { retry: { schedule: [0, 1s] } }
`,
      "ops.yaml",
      options,
    );
    const [pager, dead] = config.operator.endpoints;
    assert.equal(config.operator.outboxFillAlert, 0.6);
    assert.equal(pager?.endpoint.id, "operator:pager");
    assert.equal(pager?.endpoint.owner, "hookyard");
    assert.equal(pager?.endpoint.payload, "standard");
    assert.deepEqual(pager?.events, [...OPERATOR_EVENT_TYPES]);
    assert.deepEqual(dead?.events, ["delivery.dead"]);
    assert.deepEqual(dead?.endpoint.policy.retry.scheduleMs, [0, 1000]);
    const printed = JSON.stringify(redactConfig(config));
    for (const secret of [SECRET, "ops-token-123"]) assert.ok(!printed.includes(secret), `${secret} leaked`);
    assert.ok(printed.includes("https://ops.example/dead"), printed);
  });

  it("has no operator endpoints by default and alerts at 80 % of the outbox", async () => {
    const config = await loadConfigText("{}", "ops.yaml", options);
    assert.deepEqual(config.operator, { endpoints: [], outboxFillAlert: 0.8 });
  });

  it("refuses unknown alerts, unsigned operator endpoints, duplicate ids and customer ids in the namespace", async () => {
    const message = await problemsOf(`
operator:
  endpoints:
    - { id: a, url: "https://ops.example/a", secrets: ["${SECRET}"], events: [endpoint.exploded] }
    - { id: a, url: "https://ops.example/b", secrets: [] }
endpoints:
  - { id: "operator:sneaky", url: "https://c.example", secrets: ["${SECRET}"] }
`);
    assert.match(
      message,
      /operator\.endpoints\[0\]\.events\[0\]: expected one of endpoint\.disabled, .*"endpoint\.exploded"/,
    );
    assert.match(message, /operator\.endpoints\[1\]\.secrets: expected a list of 1 to 10 signing secrets/);
    assert.match(message, /operator\.endpoints\[1\]\.id: expected a unique id/);
    assert.match(message, /endpoints\[0\]\.id: expected an id that does not start with "operator:"/);
  });

  it('takes payload "raw" per endpoint and refuses other values', async () => {
    const config = await loadConfigText(
      `endpoints: [{ id: a, url: "https://a.example", secrets: ["${SECRET}"], payload: raw }]`,
      "ops.yaml",
      options,
    );
    assert.equal(config.endpoints[0]?.payload, "raw");
    const message = await problemsOf(
      `endpoints: [{ id: a, url: "https://a.example", secrets: ["${SECRET}"], payload: wrapped }]`,
    );
    assert.match(message, /endpoints\[0\]\.payload/);
  });
});
