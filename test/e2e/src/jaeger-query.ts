import { waitFor } from "@hookyard/test-brokers";

/** One span as Jaeger's query API (`/api/traces/<id>`) returns it. */
export interface JaegerSpan {
  readonly traceID: string;
  readonly spanID: string;
  readonly operationName: string;
  readonly references: readonly { readonly refType: string; readonly traceID: string; readonly spanID: string }[];
  readonly tags: readonly { readonly key: string; readonly value: unknown }[];
  readonly processID: string;
}

interface JaegerTrace {
  readonly traceID: string;
  readonly spans: readonly JaegerSpan[];
  readonly processes: Readonly<Record<string, { readonly serviceName: string }>>;
}

/** A span's tag (attribute) value; `span.kind` is one too (client, server, producer, consumer, internal). */
export function tagOf(span: JaegerSpan, key: string): unknown {
  return span.tags.find((tag) => tag.key === key)?.value;
}

/** The span's parent id (its CHILD_OF reference), if any. */
export function parentOf(span: JaegerSpan): string | undefined {
  return span.references.find((reference) => reference.refType === "CHILD_OF")?.spanID;
}

/** Reads one trace's spans; an unknown trace is an empty list (Jaeger answers 404). */
export async function readTrace(queryUrl: string, traceId: string): Promise<JaegerSpan[]> {
  const response = await fetch(`${queryUrl}/api/traces/${traceId}`);
  if (response.status === 404) {
    await response.body?.cancel();
    return [];
  }
  if (!response.ok) throw new Error(`jaeger answered ${response.status} for trace ${traceId}`);
  const body = (await response.json()) as { data?: JaegerTrace[] };
  return (body.data ?? []).flatMap((trace) => trace.spans);
}

/** The trace ids Jaeger holds for a service (`/api/traces?service=`), newest first. */
export async function tracesOfService(queryUrl: string, service: string): Promise<JaegerTrace[]> {
  const response = await fetch(`${queryUrl}/api/traces?service=${encodeURIComponent(service)}&limit=100&lookback=1h`);
  if (!response.ok) throw new Error(`jaeger answered ${response.status} for service ${service}`);
  const body = (await response.json()) as { data?: JaegerTrace[] };
  return body.data ?? [];
}

/**
 * Polls the trace until `done(spans)` holds. Spans reach Jaeger in export batches after the work they describe, so
 * nothing announces them: this waits on the condition, bounded by a deadline.
 */
export function waitForTrace(
  queryUrl: string,
  traceId: string,
  what: string,
  done: (spans: readonly JaegerSpan[]) => boolean,
  timeoutMs = 30_000,
): Promise<JaegerSpan[]> {
  return waitFor(
    `${what} in Jaeger (trace ${traceId})`,
    async () => {
      const spans = await readTrace(queryUrl, traceId);
      return done(spans) ? spans : undefined;
    },
    { timeoutMs, intervalMs: 200 },
  );
}
