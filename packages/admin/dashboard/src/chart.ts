import type { Bucket } from "./api.js";
import { h, svg } from "./dom.js";

const WIDTH = 600;
const HEIGHT = 160;
const PAD = 28;

/** Stacked bars of deliveries per bucket (delivered / failed / pending), as a small accessible SVG. */
export function deliveriesChart(buckets: readonly Bucket[]): HTMLElement {
  const max = Math.max(1, ...buckets.map((b) => b.delivered + b.failed + b.pending));
  const width = (WIDTH - PAD) / Math.max(1, buckets.length);
  const bars: Node[] = [];
  buckets.forEach((bucket, i) => {
    let y = HEIGHT - PAD;
    for (const [value, kind] of [
      [bucket.delivered, "delivered"],
      [bucket.failed, "failed"],
      [bucket.pending, "pending"],
    ] as const) {
      const height = (value / max) * (HEIGHT - PAD - 8);
      y -= height;
      if (value > 0) {
        const rect = svg("rect", {
          x: PAD + i * width + 1,
          y,
          width: Math.max(1, width - 2),
          height,
          class: `bar-${kind}`,
        });
        rect.append(
          svg("title", {}, document.createTextNode(`${new Date(bucket.start).toLocaleString()}: ${value} ${kind}`)),
        );
        bars.push(rect);
      }
    }
  });
  const total = buckets.reduce((sum, b) => sum + b.delivered + b.failed + b.pending, 0);
  return figure(
    "Deliveries over time",
    `${total} deliveries: ${buckets.reduce((s, b) => s + b.delivered, 0)} delivered, ${buckets.reduce((s, b) => s + b.failed, 0)} failed`,
    [axis(max), ...bars],
    [
      ["delivered", "Delivered"],
      ["failed", "Failed"],
      ["pending", "Pending"],
    ],
  );
}

/** Average and p95 latency of the latest attempts per bucket, as lines. */
export function latencyChart(buckets: readonly Bucket[]): HTMLElement {
  const values = buckets.flatMap((b) => [b.latencyAvgMs ?? 0, b.latencyP95Ms ?? 0]);
  const max = Math.max(1, ...values);
  const step = (WIDTH - PAD) / Math.max(1, buckets.length - 1);
  const line = (pick: (b: Bucket) => number | null, kind: string) => {
    const points = buckets
      .map((b, i) => [i, pick(b)] as const)
      .filter(([, v]) => v !== null)
      .map(([i, v]) => `${PAD + i * step},${HEIGHT - PAD - ((v ?? 0) / max) * (HEIGHT - PAD - 8)}`);
    return svg("polyline", { points: points.join(" "), class: `line-${kind}`, fill: "none" });
  };
  const avg = buckets.filter((b) => b.latencyAvgMs !== null);
  const mean = avg.length === 0 ? 0 : Math.round(avg.reduce((s, b) => s + (b.latencyAvgMs ?? 0), 0) / avg.length);
  return figure(
    "Latency (ms)",
    `average ${mean} ms; peak p95 ${Math.max(0, ...buckets.map((b) => b.latencyP95Ms ?? 0))} ms`,
    [axis(max), line((b) => b.latencyAvgMs, "avg"), line((b) => b.latencyP95Ms, "p95")],
    [
      ["avg", "Average"],
      ["p95", "p95"],
    ],
  );
}

function axis(max: number): Node {
  return svg(
    "g",
    { class: "axis" },
    svg("line", { x1: PAD, y1: HEIGHT - PAD, x2: WIDTH, y2: HEIGHT - PAD }),
    svg("text", { x: 2, y: 14 }, document.createTextNode(String(Math.round(max)))),
    svg("text", { x: 2, y: HEIGHT - PAD }, document.createTextNode("0")),
  );
}

function figure(title: string, summary: string, content: Node[], legend: [string, string][]): HTMLElement {
  const chart = svg(
    "svg",
    { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: "img", "aria-label": `${title}: ${summary}` },
    ...content,
  );
  return h(
    "figure",
    { class: "chart" },
    h("figcaption", {}, h("strong", {}, title), " — ", summary),
    chart,
    h(
      "ul",
      { class: "legend" },
      legend.map(([kind, label]) =>
        h("li", {}, h("span", { class: `swatch swatch-${kind}`, "aria-hidden": "true" }), label),
      ),
    ),
  );
}
