import type { Bucket } from "./api.js";
import { h, svg } from "./dom.js";

const WIDTH = 600;
const HEIGHT = 210;
const LEFT = 48;
const RIGHT = 10;
const TOP = 10;
const BOTTOM = 46;
const PLOT_W = WIDTH - LEFT - RIGHT;
const PLOT_H = HEIGHT - TOP - BOTTOM;
const X_TICKS = 3;

/**
 * Stacked bars of deliveries per time bucket (delivered / failed / pending) on a time axis: labelled axes, tick
 * times, and the numbers as a table for screen readers and anyone who wants them exact.
 */
export function deliveriesChart(buckets: readonly Bucket[]): HTMLElement {
  const max = niceMax(Math.max(1, ...buckets.map((b) => b.delivered + b.failed + b.pending)));
  const width = PLOT_W / Math.max(1, buckets.length);
  const bars: Node[] = [];
  buckets.forEach((bucket, i) => {
    let y = TOP + PLOT_H;
    for (const [value, kind] of [
      [bucket.delivered, "delivered"],
      [bucket.failed, "failed"],
      [bucket.pending, "pending"],
    ] as const) {
      const height = (value / max) * PLOT_H;
      y -= height;
      if (value > 0) {
        const rect = svg("rect", {
          x: LEFT + i * width + 1,
          y,
          width: Math.max(1, width - 2),
          height,
          class: `bar-${kind}`,
        });
        rect.append(svg("title", {}, document.createTextNode(`${rangeText(bucket)}: ${value} ${kind}`)));
        bars.push(rect);
      }
    }
  });
  const delivered = buckets.reduce((s, b) => s + b.delivered, 0);
  const failed = buckets.reduce((s, b) => s + b.failed, 0);
  const total = buckets.reduce((sum, b) => sum + b.delivered + b.failed + b.pending, 0);
  return figure({
    title: "Deliveries over time",
    summary:
      buckets.length === 0
        ? "no settled deliveries yet"
        : `${total} ${total === 1 ? "delivery" : "deliveries"} from ${when(buckets[0]?.start)} to ${when(buckets.at(-1)?.end)}: ${delivered} delivered, ${failed} failed`,
    content: [...axes(buckets, max, "Deliveries"), ...bars],
    legend: [
      ["delivered", "Delivered"],
      ["failed", "Failed"],
      ["pending", "Pending"],
    ],
    table: {
      columns: ["Delivered", "Failed", "Pending"],
      rows: buckets.map((b) => [b.delivered, b.failed, b.pending]),
    },
    buckets,
  });
}

/** Average and p95 latency of the latest attempts per bucket, as lines on the same time axis. */
export function latencyChart(buckets: readonly Bucket[]): HTMLElement {
  const max = niceMax(Math.max(1, ...buckets.flatMap((b) => [b.latencyAvgMs ?? 0, b.latencyP95Ms ?? 0])));
  const width = PLOT_W / Math.max(1, buckets.length);
  // A line through the buckets that have a value, with a dot on each (one bucket alone is still visible).
  const line = (pick: (b: Bucket) => number | null, kind: string): Node => {
    const points = buckets
      .map((b, i) => [i, pick(b)] as const)
      .filter(([, v]) => v !== null)
      .map(([i, v]) => [LEFT + (i + 0.5) * width, TOP + PLOT_H - ((v ?? 0) / max) * PLOT_H] as const);
    return svg(
      "g",
      { class: `series-${kind}` },
      svg("polyline", { points: points.map(([x, y]) => `${x},${y}`).join(" "), class: `line-${kind}`, fill: "none" }),
      ...points.map(([cx, cy]) => svg("circle", { cx, cy, r: 3, class: `dot-${kind}` })),
    );
  };
  const avg = buckets.filter((b) => b.latencyAvgMs !== null);
  const mean = avg.length === 0 ? 0 : Math.round(avg.reduce((s, b) => s + (b.latencyAvgMs ?? 0), 0) / avg.length);
  return figure({
    title: "Latency",
    summary: `average ${mean} ms; peak p95 ${Math.max(0, ...buckets.map((b) => b.latencyP95Ms ?? 0))} ms`,
    content: [
      ...axes(buckets, max, "Milliseconds"),
      line((b) => b.latencyAvgMs, "avg"),
      line((b) => b.latencyP95Ms, "p95"),
    ],
    legend: [
      ["avg", "Average"],
      ["p95", "p95"],
    ],
    table: {
      columns: ["Average (ms)", "p95 (ms)"],
      rows: buckets.map((b) => [b.latencyAvgMs ?? "—", b.latencyP95Ms ?? "—"]),
    },
    buckets,
  });
}

/** The y axis (0, half, max, with its title) and the time axis (tick times at bucket edges, with its title). */
function axes(buckets: readonly Bucket[], max: number, yTitle: string): Node[] {
  const text = (attributes: Record<string, string | number>, value: string) =>
    svg("text", attributes, document.createTextNode(value));
  const nodes: Node[] = [
    svg("line", { x1: LEFT, y1: TOP + PLOT_H, x2: LEFT + PLOT_W, y2: TOP + PLOT_H }),
    svg("line", { x1: LEFT, y1: TOP, x2: LEFT, y2: TOP + PLOT_H }),
    text(
      {
        x: 12,
        y: TOP + PLOT_H / 2,
        transform: `rotate(-90 12 ${TOP + PLOT_H / 2})`,
        "text-anchor": "middle",
        class: "axis-title",
      },
      yTitle,
    ),
    text({ x: LEFT + PLOT_W / 2, y: HEIGHT - 4, "text-anchor": "middle", class: "axis-title" }, "Time created (local)"),
  ];
  // 0, half and max; half only when it is a whole number (counts of 1 would read "0, 1, 1").
  for (const value of new Set([0, max / 2, max].filter(Number.isInteger))) {
    const y = TOP + PLOT_H - (value / max) * PLOT_H;
    nodes.push(
      svg("line", { x1: LEFT - 4, y1: y, x2: LEFT, y2: y }),
      text({ x: LEFT - 6, y: y + 4, "text-anchor": "end" }, String(value)),
    );
  }
  const first = buckets[0];
  const last = buckets.at(-1);
  if (first === undefined || last === undefined) return [svg("g", { class: "axis" }, ...nodes)];
  const start = Date.parse(first.start);
  const end = Date.parse(last.end ?? last.start);
  const format = tickFormat(end - start);
  for (let i = 0; i <= X_TICKS; i++) {
    const x = LEFT + (i / X_TICKS) * PLOT_W;
    const at = start + (i / X_TICKS) * (end - start);
    const inner = i > 0 && i < X_TICKS;
    const anchor = i === 0 ? "start" : inner ? "middle" : "end";
    nodes.push(
      svg("line", { x1: x, y1: TOP + PLOT_H, x2: x, y2: TOP + PLOT_H + 4 }),
      // Inner ticks give way on a phone, where the outer two are drawn larger (app.css).
      text(
        { x, y: TOP + PLOT_H + 17, "text-anchor": anchor, class: inner ? "tick-inner" : "tick-outer" },
        format.format(at),
      ),
    );
  }
  return [svg("g", { class: "axis" }, ...nodes)];
}

/** Times for ticks: milliseconds over a few seconds, seconds over minutes, dates over several days. */
function tickFormat(spanMs: number): Intl.DateTimeFormat {
  if (spanMs < 10_000) {
    return new Intl.DateTimeFormat(undefined, {
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
      fractionalSecondDigits: 3,
    });
  }
  if (spanMs < 10 * 60_000) return new Intl.DateTimeFormat(undefined, { timeStyle: "medium" });
  if (spanMs < 24 * 3600_000) return new Intl.DateTimeFormat(undefined, { timeStyle: "short" });
  return new Intl.DateTimeFormat(undefined, { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });
}

function niceMax(value: number): number {
  const step = 10 ** Math.floor(Math.log10(value));
  return Math.ceil(value / step) * step;
}

function when(iso: string | undefined): string {
  return iso === undefined ? "—" : new Date(iso).toLocaleString();
}

function rangeText(bucket: Bucket): string {
  return `${when(bucket.start)} – ${when(bucket.end ?? bucket.start)}`;
}

let figures = 0;

function figure(chart: {
  title: string;
  summary: string;
  content: Node[];
  legend: [string, string][];
  table: { columns: string[]; rows: (string | number)[][] };
  buckets: readonly Bucket[];
}): HTMLElement {
  const id = `chart-${++figures}`;
  // Nothing to draw: the caption says so, rather than empty axes.
  const image =
    chart.buckets.length === 0
      ? null
      : svg(
          "svg",
          { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: "img", "aria-labelledby": `${id}-caption` },
          ...chart.content,
        );
  return h(
    "figure",
    { class: "chart" },
    h("figcaption", { id: `${id}-caption` }, h("strong", {}, chart.title), " — ", chart.summary),
    image,
    h(
      "ul",
      { class: "legend" },
      chart.legend.map(([kind, label]) =>
        h("li", {}, h("span", { class: `swatch swatch-${kind}`, "aria-hidden": "true" }), label),
      ),
    ),
    image === null
      ? null
      : h(
          "details",
          { class: "chart-data" },
          h("summary", {}, `${chart.title}: the numbers`),
          h(
            "div",
            { class: "table-wrap", tabindex: 0, role: "region", "aria-label": `${chart.title} data` },
            h(
              "table",
              {},
              h("caption", { class: "visually-hidden" }, `${chart.title} per time bucket`),
              h(
                "thead",
                {},
                h(
                  "tr",
                  {},
                  h("th", { scope: "col" }, "From – to"),
                  chart.table.columns.map((c) => h("th", { scope: "col" }, c)),
                ),
              ),
              h(
                "tbody",
                {},
                chart.buckets.map((bucket, i) =>
                  h(
                    "tr",
                    {},
                    h("th", { scope: "row" }, rangeText(bucket)),
                    (chart.table.rows[i] ?? []).map((value) => h("td", {}, String(value))),
                  ),
                ),
              ),
            ),
          ),
        ),
  );
}
