import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { resolveFakeConnector } from "./fake-connector.fixture.js";
import { loadConfigText } from "./load-config.js";
import { ConfigValidationError } from "./problems.js";

const load = (yaml: string, env: Record<string, string> = {}) =>
  loadConfigText(yaml, "t.yaml", { env, resolveConnector: resolveFakeConnector });

describe("config: telemetry", () => {
  it("is off by default, whatever OTEL_* variables say", async () => {
    const config = await load("{}\n", { OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318" });
    assert.deepEqual(config.telemetry, { kind: "off" });
  });

  it("when enabled, defaults to localhost:4318, service hookyard, parent-based always on", async () => {
    const config = await load("telemetry: { enabled: true }\n");
    assert.deepEqual(config.telemetry, {
      kind: "otlp",
      tracesUrl: "http://localhost:4318/v1/traces",
      headers: {},
      serviceName: "hookyard",
      resourceAttributes: {},
      sampler: { name: "parentbased_always_on", ratio: 1 },
    });
  });

  it("reads the standard OTEL_* variables for what the file leaves unset", async () => {
    const config = await load("telemetry: { enabled: true }\n", {
      OTEL_EXPORTER_OTLP_ENDPOINT: "https://otlp.example.com/",
      OTEL_EXPORTER_OTLP_HEADERS: "x-api-key=s%3Dcret,x-team=hooks",
      OTEL_SERVICE_NAME: "hookyard-eu",
      OTEL_RESOURCE_ATTRIBUTES: "deployment.environment=prod",
      OTEL_TRACES_SAMPLER: "parentbased_traceidratio",
      OTEL_TRACES_SAMPLER_ARG: "0.01",
    });
    assert.deepEqual(config.telemetry, {
      kind: "otlp",
      tracesUrl: "https://otlp.example.com/v1/traces",
      headers: { "x-api-key": "s=cret", "x-team": "hooks" },
      serviceName: "hookyard-eu",
      resourceAttributes: { "deployment.environment": "prod" },
      sampler: { name: "parentbased_traceidratio", ratio: 0.01 },
    });
    const own = await load("telemetry: { enabled: true }\n", {
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://tempo:4318/otlp/v1/traces",
    });
    assert.equal(own.telemetry.kind === "otlp" && own.telemetry.tracesUrl, "http://tempo:4318/otlp/v1/traces");
  });

  it("lets the file win over the variables, and OTEL_SDK_DISABLED turn it off", async () => {
    const yaml = "telemetry: { enabled: true, endpoint: http://jaeger:4318, serviceName: hy, sampleRatio: 0.25 }\n";
    const config = await load(yaml, { OTEL_SERVICE_NAME: "other", OTEL_TRACES_SAMPLER: "always_off" });
    assert.equal(config.telemetry.kind, "otlp");
    if (config.telemetry.kind !== "otlp") return;
    assert.equal(config.telemetry.tracesUrl, "http://jaeger:4318/v1/traces");
    assert.equal(config.telemetry.serviceName, "hy");
    assert.deepEqual(config.telemetry.sampler, { name: "parentbased_traceidratio", ratio: 0.25 });
    assert.deepEqual((await load(yaml, { OTEL_SDK_DISABLED: "true" })).telemetry, { kind: "off" });
  });

  it("reports bad values with the key, never echoing a header value", async () => {
    await assert.rejects(load("telemetry: { enabled: true, sampleRatio: 2 }\n"), (error: unknown) => {
      assert.ok(error instanceof ConfigValidationError);
      assert.match(error.message, /telemetry\.sampleRatio: expected a number from 0 to 1/);
      return true;
    });
    await assert.rejects(
      load("telemetry: { enabled: true }\n", {
        OTEL_TRACES_SAMPLER: "sometimes",
        OTEL_EXPORTER_OTLP_HEADERS: "secret-value-without-key",
      }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigValidationError);
        assert.match(error.message, /OTEL_TRACES_SAMPLER one of always_on/);
        assert.match(error.message, /OTEL_EXPORTER_OTLP_HEADERS as key=value pairs/);
        assert.doesNotMatch(error.message, /secret-value-without-key/);
        return true;
      },
    );
  });
});
