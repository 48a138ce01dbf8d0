import { createRequire } from "node:module";
import type { Tracer } from "@opentelemetry/api";
import type { Logger } from "pino";
import type { TelemetrySettings } from "../config/telemetry-settings.js";

/** The running tracer, or none: with tracing off every instrumented place takes its untraced path. */
export interface Tracing {
  readonly tracer: Tracer | undefined;
  /** Exports what is buffered and stops (last step of a shutdown); bounded so a dead collector cannot hold it. */
  shutdown(): Promise<void>;
}

const TRACER_NAME = "hookyard";
const { version: VERSION } = createRequire(import.meta.url)("../../package.json") as { version: string };
const SHUTDOWN_TIMEOUT_MS = 5_000;

const OFF: Tracing = Object.freeze({ tracer: undefined, shutdown: async () => undefined });

/**
 * Starts the OpenTelemetry SDK when `telemetry` asks for it: a tracer provider of its own (not the global one, so
 * an embedding application's tracing is left alone), batching spans to an OTLP/HTTP (protobuf) exporter. The SDK
 * is loaded only then: with tracing off no module of it is imported and nothing is allocated per event.
 */
export async function startTracing(settings: TelemetrySettings, logger: Logger): Promise<Tracing> {
  if (settings.kind === "off") return OFF;
  const [sdk, exporterModule, resources] = await Promise.all([
    import("@opentelemetry/sdk-trace"),
    import("@opentelemetry/exporter-trace-otlp-proto"),
    import("@opentelemetry/resources"),
  ]);
  const exporter = new exporterModule.OTLPTraceExporter({ url: settings.tracesUrl, headers: { ...settings.headers } });
  const resource = resources.defaultResource().merge(
    resources.resourceFromAttributes({
      ...settings.resourceAttributes,
      "service.name": settings.serviceName,
      "service.version": VERSION,
    }),
  );
  const provider = new sdk.TracerProvider({
    resource,
    sampler: samplerOf(sdk, settings.sampler),
    spanProcessors: [new sdk.BatchSpanProcessor({ exporter })],
  });
  const { name, ratio } = settings.sampler;
  logger.info(
    { endpoint: settings.tracesUrl, serviceName: settings.serviceName, sampler: name, ratio },
    "tracing on: exporting OTLP",
  );
  return {
    tracer: provider.getTracer(TRACER_NAME, VERSION),
    async shutdown() {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, SHUTDOWN_TIMEOUT_MS);
      });
      try {
        await Promise.race([provider.shutdown(), timeout]);
      } catch (error) {
        logger.warn({ err: error }, "tracing: the last spans could not be exported");
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

type Sdk = typeof import("@opentelemetry/sdk-trace");

function samplerOf(sdk: Sdk, sampler: Extract<TelemetrySettings, { kind: "otlp" }>["sampler"]) {
  switch (sampler.name) {
    case "always_on":
      return new sdk.AlwaysOnSampler();
    case "always_off":
      return new sdk.AlwaysOffSampler();
    case "traceidratio":
      return new sdk.TraceIdRatioBasedSampler(sampler.ratio);
    case "parentbased_always_on":
      return new sdk.ParentBasedSampler({ root: new sdk.AlwaysOnSampler() });
    case "parentbased_always_off":
      return new sdk.ParentBasedSampler({ root: new sdk.AlwaysOffSampler() });
    case "parentbased_traceidratio":
      return new sdk.ParentBasedSampler({ root: new sdk.TraceIdRatioBasedSampler(sampler.ratio) });
  }
}
