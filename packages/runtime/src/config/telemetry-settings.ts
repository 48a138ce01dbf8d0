import type { ProblemCollector } from "./collect-problems.js";
import type { RuntimeSettings } from "./schema.js";

/** The standard OpenTelemetry samplers (OTEL_TRACES_SAMPLER), the ratio ones reading `ratio`. */
export const SAMPLER_NAMES = [
  "always_on",
  "always_off",
  "traceidratio",
  "parentbased_always_on",
  "parentbased_always_off",
  "parentbased_traceidratio",
] as const;
export type SamplerName = (typeof SAMPLER_NAMES)[number];

/** Tracing as a named mode: off (no SDK loaded, no span made) or exporting OTLP/HTTP. */
export type TelemetrySettings =
  | { readonly kind: "off" }
  | {
      readonly kind: "otlp";
      /** The full traces URL (…/v1/traces). */
      readonly tracesUrl: string;
      /** Sent with every export (API keys: never logged). */
      readonly headers: Readonly<Record<string, string>>;
      readonly serviceName: string;
      readonly resourceAttributes: Readonly<Record<string, string>>;
      readonly sampler: { readonly name: SamplerName; readonly ratio: number };
    };

type Env = Readonly<Record<string, string | undefined>>;

const DEFAULT_ENDPOINT = "http://localhost:4318";

/**
 * The `telemetry` section with the standard OTEL_* variables filling what the file leaves unset (the file wins:
 * it is the more specific of the two). A bad variable is a config problem, reported by `validate` like a bad key.
 */
export function telemetrySettings(
  section: RuntimeSettings["telemetry"],
  env: Env,
  problems: ProblemCollector,
): TelemetrySettings {
  const disabled = set(env.OTEL_SDK_DISABLED)?.toLowerCase() === "true" || set(env.OTEL_TRACES_EXPORTER) === "none";
  if (!section.enabled || disabled) return { kind: "off" };
  const tracesUrl = tracesUrlOf(section.endpoint, env, problems);
  const headers = {
    ...keyValueList(env, "OTEL_EXPORTER_OTLP_HEADERS", problems),
    ...keyValueList(env, "OTEL_EXPORTER_OTLP_TRACES_HEADERS", problems),
  };
  const resourceAttributes = keyValueList(env, "OTEL_RESOURCE_ATTRIBUTES", problems);
  const serviceName =
    section.serviceName ?? set(env.OTEL_SERVICE_NAME) ?? resourceAttributes["service.name"] ?? "hookyard";
  const sampler =
    section.sampleRatio === null
      ? samplerFromEnv(env, problems)
      : { name: "parentbased_traceidratio" as const, ratio: section.sampleRatio };
  return { kind: "otlp", tracesUrl, headers, serviceName, resourceAttributes, sampler };
}

function tracesUrlOf(endpoint: string | null, env: Env, problems: ProblemCollector): string {
  const own = set(env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
  const base = endpoint ?? (own === undefined ? (set(env.OTEL_EXPORTER_OTLP_ENDPOINT) ?? DEFAULT_ENDPOINT) : undefined);
  const url = base === undefined ? own : `${base.replace(/\/+$/, "")}/v1/traces`;
  if (url === undefined || !isHttpUrl(url)) {
    const where = endpoint === null ? "$OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT" : "telemetry.endpoint";
    problems.add(["telemetry", "endpoint"], `an http(s) URL in ${where}`, JSON.stringify(url ?? ""));
    return DEFAULT_ENDPOINT;
  }
  return url;
}

function samplerFromEnv(env: Env, problems: ProblemCollector): { name: SamplerName; ratio: number } {
  const name = (set(env.OTEL_TRACES_SAMPLER) ?? "parentbased_always_on").toLowerCase();
  if (!(SAMPLER_NAMES as readonly string[]).includes(name)) {
    problems.add(["telemetry", "sampleRatio"], `$OTEL_TRACES_SAMPLER one of ${SAMPLER_NAMES.join(", ")}`, name);
    return { name: "parentbased_always_on", ratio: 1 };
  }
  const arg = set(env.OTEL_TRACES_SAMPLER_ARG);
  const ratio = arg === undefined ? 1 : Number(arg);
  if (!Number.isFinite(ratio) || ratio < 0 || ratio > 1) {
    problems.add(["telemetry", "sampleRatio"], "$OTEL_TRACES_SAMPLER_ARG a number from 0 to 1", JSON.stringify(arg));
    return { name: name as SamplerName, ratio: 1 };
  }
  return { name: name as SamplerName, ratio };
}

/** `key1=value1,key2=value2` with percent-encoded values (the OTEL_*_HEADERS / OTEL_RESOURCE_ATTRIBUTES format). */
function keyValueList(env: Env, name: string, problems: ProblemCollector): Record<string, string> {
  const text = set(env[name]);
  const result: Record<string, string> = {};
  if (text === undefined) return result;
  for (const item of text.split(",")) {
    if (item.trim() === "") continue;
    const at = item.indexOf("=");
    const key = at > 0 ? item.slice(0, at).trim() : "";
    try {
      if (key === "") throw new Error("no key");
      result[decodeURIComponent(key)] = decodeURIComponent(item.slice(at + 1).trim());
    } catch {
      // The value may be a credential: name the variable, never echo it.
      problems.add(["telemetry"], `$${name} as key=value pairs separated by commas`, "a malformed entry");
      return {};
    }
  }
  return result;
}

function set(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === "" ? undefined : value.trim();
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === "http:" || url.protocol === "https:";
  } catch {
    return false;
  }
}
