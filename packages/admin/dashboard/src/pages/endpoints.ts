import { api, type Bucket, canManage, type Endpoint, type Health, type Me } from "../api.js";
import { deliveriesChart, latencyChart } from "../chart.js";
import { badge, h, time } from "../dom.js";

/** Every endpoint the credential sees, with its health, and the delivery charts. */
export async function endpointsPage(me: Me): Promise<HTMLElement> {
  const [{ data: endpoints }, stats] = await Promise.all([
    api<{ data: Endpoint[] }>("/endpoints?limit=500"),
    api<{ buckets: Bucket[] }>("/stats/deliveries?buckets=24"),
  ]);
  const health = await Promise.all(
    endpoints
      .slice(0, 100)
      .map((e) => api<Health>(`/endpoints/${encodeURIComponent(e.id)}/health`).catch(() => undefined)),
  );
  const rows = endpoints.map((endpoint, i) => {
    const state = health[i];
    const rate = state?.successRate;
    return h(
      "tr",
      {},
      h("td", {}, h("a", { href: `#/endpoints/${encodeURIComponent(endpoint.id)}` }, endpoint.id)),
      me.kind === "admin" ? h("td", {}, endpoint.owner) : null,
      h("td", { class: "url" }, endpoint.url),
      h("td", {}, state === undefined ? "—" : state.enabled ? badge("enabled", "ok") : badge("disabled", "error")),
      h("td", {}, state === undefined ? "—" : badge(state.breaker, state.breaker === "closed" ? "ok" : "warn")),
      h("td", {}, rate === null || rate === undefined ? "—" : `${Math.round(rate * 100)}%`),
      h(
        "td",
        {},
        state?.lastError
          ? h(
              "a",
              { href: `#/deliveries/${encodeURIComponent(state.lastError.deliveryId)}` },
              state.lastError.status ? `HTTP ${state.lastError.status}` : (state.lastError.errorClass ?? "error"),
            )
          : "—",
      ),
      h("td", {}, time(state?.nextRetryAt)),
    );
  });
  return h(
    "section",
    { "aria-labelledby": "page-title" },
    h("h1", { id: "page-title", tabindex: "-1" }, "Endpoints"),
    canManage(me) ? h("p", {}, h("a", { class: "button", href: "#/endpoints/new" }, "New endpoint")) : null,
    h("div", { class: "charts" }, deliveriesChart(stats.buckets), latencyChart(stats.buckets)),
    endpoints.length === 0
      ? h("p", {}, "No endpoints yet.")
      : h(
          "div",
          { class: "table-wrap" },
          h(
            "table",
            {},
            h("caption", { class: "visually-hidden" }, "Endpoints and their health"),
            h(
              "thead",
              {},
              h(
                "tr",
                {},
                h("th", { scope: "col" }, "Endpoint"),
                me.kind === "admin" ? h("th", { scope: "col" }, "Owner") : null,
                h("th", { scope: "col" }, "URL"),
                h("th", { scope: "col" }, "State"),
                h("th", { scope: "col" }, "Breaker"),
                h("th", { scope: "col" }, "Success"),
                h("th", { scope: "col" }, "Last error"),
                h("th", { scope: "col" }, "Next retry"),
              ),
            ),
            h("tbody", {}, rows),
          ),
        ),
  );
}
