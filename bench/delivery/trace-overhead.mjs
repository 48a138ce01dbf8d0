#!/usr/bin/env node
// CPU cost of tracing one delivery attempt, without the network: the traced wrapper around an attempt that answers
// at once, with a tracer at a sampled share (parent-based on the event's traceparent) against no tracer at all, and
// the stored envelope's decode with and without a trace context. Prints ns per attempt (medians of interleaved runs).
// Usage: node bench/delivery/trace-overhead.mjs [attempts=200000] [runs=5]
import { createEnvelope, decodeEnvelope, encodeEnvelope } from "@hookyard/core";
import { createHttpDelivery } from "@hookyard/delivery";
import { startTracing } from "@hookyard/runtime";

const attempts = Number(process.argv[2] ?? 200_000);
const runs = Number(process.argv[3] ?? 5);
const hex = (n) => Array.from({ length: n }, () => Math.floor(Math.random() * 16).toString(16)).join("");
const envelopes = (ratio) =>
  Array.from({ length: 1000 }, (_, i) =>
    createEnvelope({
      id: `e-${i}`,
      source: "bench",
      type: "invoice.paid",
      data: "{}",
      ...(ratio === undefined
        ? {}
        : { traceparent: `00-${hex(32)}-${hex(16)}-${i % Math.round(1 / ratio) === 0 ? "01" : "00"}` }),
    }),
  );
const silent = { info() {}, warn() {} };
const tracers = new Map();
for (const ratio of [0.01, 1]) {
  const tracing = await startTracing(
    {
      kind: "otlp",
      tracesUrl: "http://127.0.0.1:9/v1/traces", // nothing listens: exports fail quietly (not what is measured)
      headers: {},
      serviceName: "bench",
      resourceAttributes: {},
      sampler: { name: "parentbased_traceidratio", ratio },
    },
    silent,
  );
  tracers.set(ratio, tracing.tracer);
}

// The traced wrapper is what createHttpDelivery installs; its inner attempt here fails at once on a closed port
// would cost a connect: instead measure the wrapper around the real send of an endpoint that is refused before any
// I/O (a URL the SSRF guard blocks), the same for every variant.
const endpoint = {
  id: "ep",
  url: "http://10.255.255.1/hooks",
  owner: "bench",
  secrets: [{ secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" }],
  headers: {},
  enabled: true,
  policy: { timeoutMs: 1000, retry: { minThrottleDelayMs: 1000 } },
};
async function measure(variant) {
  // "off+tp": tracing off, events carrying a producer's traceparent (passed through).
  const ratio = variant === "off+tp" ? undefined : variant;
  const tracer = ratio === undefined ? undefined : tracers.get(ratio);
  const delivery = createHttpDelivery({ ssrf: { allow: [] }, ...(tracer ? { tracer } : {}) });
  const list = envelopes(variant === "off+tp" ? 0.01 : ratio);
  const start = process.cpuUsage();
  for (let i = 0; i < attempts; i++) {
    const stored = encodeEnvelope(list[i % list.length]);
    await delivery.send(endpoint, decodeEnvelope(stored), 1);
  }
  const used = process.cpuUsage(start);
  await delivery.close();
  return ((used.user + used.system) * 1000) / attempts;
}

const variants = [undefined, "off+tp", 0.01, 1];
const results = new Map(variants.map((v) => [v, []]));
for (let run = 0; run < runs; run++) {
  for (let k = 0; k < variants.length; k++) {
    const ratio = variants[(run + k) % variants.length];
    results.get(ratio).push(await measure(ratio));
  }
}
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const off = median(results.get(undefined));
for (const ratio of variants) {
  const m = median(results.get(ratio));
  const label = ratio === undefined ? "off" : ratio === "off+tp" ? "off, with tp" : `${ratio * 100} % sampled`;
  console.log(
    `${label.padEnd(14)} ${m.toFixed(0)} ns CPU per attempt (runs: ${results
      .get(ratio)
      .map((v) => v.toFixed(0))
      .join(", ")})` + (ratio === undefined ? "" : `; tracing adds ${(m - off).toFixed(0)} ns`),
  );
}
process.exit(0);
