import { api, type DeliverySummary, queryString } from "../api.js";
import { announce, badge, h, time } from "../dom.js";

const FIELDS = ["eventId", "type", "status", "endpointId", "from", "to"] as const;

/** The searchable delivery log: filters in the URL, newest first, "Load more" follows the cursor. */
export async function deliveriesPage(params: URLSearchParams): Promise<HTMLElement> {
  const filters = Object.fromEntries(FIELDS.map((f) => [f, params.get(f) ?? undefined])) as Record<
    (typeof FIELDS)[number],
    string | undefined
  >;
  const tbody = h("tbody", {});
  const more = h("button", { type: "button", class: "secondary" }, "Load more");
  let cursor: string | undefined;
  async function load(): Promise<void> {
    const page = await api<{ data: DeliverySummary[]; nextCursor?: string }>(
      `/deliveries${queryString({ ...filters, from: isoOf(filters.from), to: isoOf(filters.to), limit: "50", cursor })}`,
    );
    tbody.append(...page.data.map(row));
    cursor = page.nextCursor;
    more.hidden = cursor === undefined;
    announce(`${tbody.children.length} deliveries shown${cursor ? "; more available" : ""}`);
  }
  more.addEventListener("click", () => void load());

  const form = h(
    "form",
    { class: "filters", role: "search", "aria-label": "Search deliveries" },
    field("eventId", "Event id", filters.eventId),
    field("type", "Event type", filters.type),
    h(
      "label",
      {},
      "Status",
      h(
        "select",
        { name: "status" },
        ["", "queued", "leased", "delivered", "dead"].map((s) =>
          h("option", { value: s, selected: s === (filters.status ?? "") }, s === "" ? "any" : s),
        ),
      ),
    ),
    field("endpointId", "Endpoint", filters.endpointId),
    field("from", "From", filters.from, "datetime-local"),
    field("to", "To", filters.to, "datetime-local"),
    h("button", { type: "submit" }, "Search"),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const search = new URLSearchParams();
    for (const name of FIELDS) {
      const value = String(data.get(name) ?? "");
      if (value) search.set(name, value);
    }
    location.hash = `#/deliveries?${search.toString()}`;
  });
  await load();
  return h(
    "section",
    { "aria-labelledby": "page-title" },
    h("h1", { id: "page-title" }, "Deliveries"),
    form,
    h(
      "div",
      { class: "table-wrap" },
      h(
        "table",
        {},
        h("caption", { class: "visually-hidden" }, "Deliveries, newest first"),
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            ["Delivery", "Event", "Type", "Endpoint", "Status", "Attempts", "Last response", "Created"].map((c) =>
              h("th", { scope: "col" }, c),
            ),
          ),
        ),
        tbody,
      ),
    ),
    more,
  );
}

function row(d: DeliverySummary): HTMLElement {
  const last = d.lastAttempt;
  return h(
    "tr",
    {},
    h("td", {}, h("a", { href: `#/deliveries/${encodeURIComponent(d.deliveryId)}` }, d.deliveryId)),
    h("td", {}, d.eventId ?? "—"),
    h("td", {}, d.type ?? "—"),
    h("td", {}, h("a", { href: `#/endpoints/${encodeURIComponent(d.endpointId)}` }, d.endpointId)),
    h("td", {}, badge(d.status)),
    h("td", {}, String(d.attempts)),
    h("td", {}, last ? (last.status ? `HTTP ${last.status}` : (last.errorClass ?? "—")) : "—"),
    h("td", {}, time(d.createdAt)),
  );
}

function field(name: string, label: string, value: string | undefined, type = "text"): HTMLElement {
  return h("label", {}, label, h("input", { name, type, value: value ?? "", autocomplete: "off" }));
}

function isoOf(local: string | undefined): string | undefined {
  if (!local) return undefined;
  const date = new Date(local);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}
