import { ApiFailure, api, type Bucket, type DeliverySummary, type LiveQueue, queryString } from "../api.js";
import { deliveriesChart } from "../chart.js";
import { announce, badge, h, time } from "../dom.js";
import { holdText } from "./delivery.js";

const FIELDS = ["eventId", "type", "payload", "status", "endpointId", "order", "from", "to"] as const;
type Filters = Record<(typeof FIELDS)[number], string | undefined>;
const COLUMNS = ["Delivery", "Event", "Type", "Endpoint", "Status", "Attempts", "Last response", "Created"];

/**
 * The delivery log: filters in the URL (type globs, payload search, sort), the live queues above it (the history
 * only has settled deliveries: queued ones are shown per endpoint, with what holds them), a chart over time, and
 * the settled deliveries, "Load more" following the cursor. A bad filter is named next to its field.
 */
export async function deliveriesPage(params: URLSearchParams): Promise<HTMLElement> {
  const filters = Object.fromEntries(FIELDS.map((f) => [f, params.get(f) ?? undefined])) as Filters;
  const oldest = filters.order === "oldest";
  const tbody = h("tbody", {});
  const more = h("button", { type: "button", class: "secondary" }, "Load more");
  const problem = h("p", { id: "filter-error", class: "error-text", role: "alert", hidden: true });
  let cursor: string | undefined;
  async function load(): Promise<void> {
    const page = await api<{ data: DeliverySummary[]; nextCursor?: string }>(
      `/deliveries${queryString({ ...filters, from: isoOf(filters.from), to: isoOf(filters.to), limit: "50", cursor })}`,
    );
    tbody.append(...page.data.map(row));
    if (tbody.children.length === 0) {
      tbody.append(h("tr", {}, h("td", { colspan: COLUMNS.length }, "No settled delivery matches these filters.")));
    }
    cursor = page.nextCursor;
    more.hidden = cursor === undefined;
    const shown = tbody.querySelectorAll("tr[data-delivery]").length;
    announce(`${shown} deliveries shown${cursor ? "; more available" : ""}`);
  }
  more.addEventListener("click", () => {
    load().catch((error: Error) => announce(error.message, "error"));
  });

  const form = filterForm(filters);
  const scope = queryString({ endpointId: filters.endpointId });
  const [queues, stats] = await Promise.all([
    api<{ data: LiveQueue[]; truncated?: boolean }>(`/queues${scope}`),
    api<{ buckets: Bucket[] }>(`/stats/deliveries${queryString({ endpointId: filters.endpointId, buckets: "24" })}`),
  ]);
  try {
    await load();
  } catch (error) {
    if (!(error instanceof ApiFailure) || error.status !== 400) throw error;
    showProblem(form, problem, error.message);
    more.hidden = true;
  }
  return h(
    "section",
    { "aria-labelledby": "page-title", class: "deliveries" },
    h("h1", { id: "page-title" }, "Deliveries"),
    form,
    problem,
    queuedNow(queues.data, queues.truncated === true),
    h("div", { class: "charts" }, deliveriesChart(stats.buckets)),
    h(
      "p",
      { class: "hint" },
      "The chart counts the latest 1,000 settled deliveries of the endpoints shown; the other filters do not apply to it.",
    ),
    h("h2", { id: "log-title" }, `Settled deliveries, ${oldest ? "oldest" : "newest"} first`),
    h(
      "div",
      { class: "table-wrap" },
      h(
        "table",
        { class: "log", "aria-labelledby": "log-title" },
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            COLUMNS.map((c) => h("th", { scope: "col" }, c)),
          ),
        ),
        tbody,
      ),
    ),
    more,
  );
}

function filterForm(filters: Filters): HTMLFormElement {
  const form = h(
    "form",
    { class: "filters", role: "search", "aria-label": "Search deliveries" },
    field("eventId", "Event id", filters.eventId),
    field("type", "Event type", filters.type, "exact or a glob: order.*, order.**"),
    field(
      "payload",
      "Payload contains",
      filters.payload,
      'JSON {"customer":{"id":"c_42"}} or customer.id=c_42',
      "wide",
    ),
    select("status", "Status", filters.status ?? "", [
      ["", "any"],
      ["delivered", "delivered"],
      ["dead", "dead"],
    ]),
    field("endpointId", "Endpoint", filters.endpointId),
    select("order", "Sort", filters.order ?? "newest", [
      ["newest", "Newest first"],
      ["oldest", "Oldest first"],
    ]),
    field("from", "From", filters.from, undefined, undefined, "datetime-local"),
    field("to", "To", filters.to, undefined, undefined, "datetime-local"),
    h("button", { type: "submit" }, "Search"),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const search = new URLSearchParams();
    for (const name of FIELDS) {
      const value = String(data.get(name) ?? "");
      if (value && !(name === "order" && value === "newest")) search.set(name, value);
    }
    location.hash = `#/deliveries?${search.toString()}`;
  });
  return form;
}

/** The API's message under the form, and the field it names marked invalid and pointing at it. */
function showProblem(form: HTMLFormElement, problem: HTMLElement, message: string): void {
  problem.textContent = message;
  problem.hidden = false;
  const named = FIELDS.find((name) => message.startsWith(name) || message.startsWith(`invalid ${name}`));
  const input = form.querySelector<HTMLInputElement>(`[name="${named ?? "payload"}"]`);
  if (named === undefined || input === null) return;
  input.setAttribute("aria-invalid", "true");
  input.setAttribute("aria-describedby", `${input.getAttribute("aria-describedby") ?? ""} filter-error`.trim());
  announce(message, "error");
}

/** Live deliveries per endpoint: how many, and whether the breaker (or a disabled endpoint) holds them. */
function queuedNow(queues: readonly LiveQueue[], truncated: boolean): HTMLElement {
  return h(
    "section",
    { class: "queued-now", "aria-labelledby": "queued-title" },
    h("h2", { id: "queued-title" }, "Queued now"),
    queues.length === 0
      ? h("p", { class: "hint" }, "Nothing is queued or in flight right now.")
      : h(
          "ul",
          { class: "queues" },
          queues.map((q) =>
            h(
              "li",
              {},
              h("a", { href: `#/endpoints/${encodeURIComponent(q.endpointId)}` }, q.endpointId),
              `: ${q.queued} queued, ${q.inFlight} in flight `,
              q.hold ? holdText(q.hold) : badge("sending", "ok"),
            ),
          ),
        ),
    truncated ? h("p", { class: "hint" }, "Only the first 200 endpoints are shown: filter by endpoint.") : null,
  );
}

function row(d: DeliverySummary): HTMLElement {
  const last = d.lastAttempt;
  const cell = (label: string, ...content: (Node | string)[]) => h("td", { "data-label": label }, ...content);
  return h(
    "tr",
    { "data-delivery": d.deliveryId },
    cell("Delivery", h("a", { href: `#/deliveries/${encodeURIComponent(d.deliveryId)}` }, d.deliveryId)),
    cell("Event", d.eventId ?? "—"),
    cell("Type", d.type ?? "—"),
    cell("Endpoint", h("a", { href: `#/endpoints/${encodeURIComponent(d.endpointId)}` }, d.endpointId)),
    cell("Status", badge(d.status)),
    cell("Attempts", String(d.attempts)),
    cell("Last response", last ? (last.status ? `HTTP ${last.status}` : (last.errorClass ?? "—")) : "—"),
    cell("Created", time(d.createdAt)),
  );
}

function field(
  name: string,
  label: string,
  value: string | undefined,
  hint?: string,
  width?: "wide",
  type = "text",
): HTMLElement {
  const hintId = hint === undefined ? undefined : `${name}-hint`;
  return h(
    "label",
    { class: width ?? null },
    label,
    h("input", {
      name,
      type,
      value: value ?? "",
      autocomplete: "off",
      spellcheck: "false",
      "aria-describedby": hintId,
    }),
    hint === undefined ? null : h("span", { id: hintId, class: "hint field-hint" }, hint),
  );
}

function select(name: string, label: string, current: string, options: [string, string][]): HTMLElement {
  return h(
    "label",
    {},
    label,
    h(
      "select",
      { name },
      options.map(([value, text]) => h("option", { value, selected: value === current }, text)),
    ),
  );
}

function isoOf(local: string | undefined): string | undefined {
  if (!local) return undefined;
  const date = new Date(local);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}
