import { type Attempt, api } from "../api.js";
import { announce, badge, confirmAction, h, time } from "../dom.js";

interface Delivery {
  deliveryId: string;
  endpointId: string;
  status: string;
  attempts: number;
  createdAt: string;
  dueAt?: string;
  deadReason?: string;
  event?: {
    id: string;
    type: string;
    source: string;
    time: string;
    contentType: string;
    data?: string;
    dataBase64?: string;
  };
}

/** One delivery: its event, every attempt (headers, body, response, latency, error), and Retry. */
export async function deliveryPage(id: string, rerender: () => void): Promise<HTMLElement> {
  const path = `/deliveries/${encodeURIComponent(id)}`;
  const [delivery, { data: attempts }] = await Promise.all([
    api<Delivery>(path),
    api<{ data: Attempt[] }>(`${path}/attempts`),
  ]);
  const settled = delivery.status === "delivered" || delivery.status === "dead";
  const retry = h("button", { type: "button", id: "retry", disabled: !settled }, "Retry delivery");
  retry.addEventListener("click", async () => {
    if (!(await confirmAction(`Send delivery ${id} again?`, "Retry"))) return;
    try {
      await api(`${path}/retry`, { method: "POST" });
      announce("Delivery queued again");
      rerender();
    } catch (error) {
      announce((error as Error).message, "error");
    }
  });
  return h(
    "section",
    { "aria-labelledby": "page-title" },
    h("p", {}, h("a", { href: "#/deliveries" }, "← Deliveries")),
    h("h1", { id: "page-title" }, "Delivery ", h("code", {}, id)),
    h(
      "dl",
      { class: "facts" },
      fact("Status", badge(delivery.status)),
      fact("Endpoint", h("a", { href: `#/endpoints/${encodeURIComponent(delivery.endpointId)}` }, delivery.endpointId)),
      fact("Attempts", String(delivery.attempts)),
      fact("Created", time(delivery.createdAt)),
      delivery.dueAt ? fact("Next attempt", time(delivery.dueAt)) : null,
      delivery.deadReason ? fact("Dead because", delivery.deadReason) : null,
      delivery.event ? fact("Event", `${delivery.event.id} (${delivery.event.type})`) : null,
    ),
    h(
      "div",
      { class: "actions" },
      retry,
      settled ? null : h("span", { class: "hint" }, "Only delivered or dead deliveries can be retried."),
    ),
    delivery.event
      ? h(
          "details",
          {},
          h("summary", {}, "Payload"),
          h("pre", {}, delivery.event.data ?? `base64: ${delivery.event.dataBase64 ?? ""}`),
        )
      : null,
    h("h2", {}, `Attempts (${attempts.length})`),
    attempts.length === 0
      ? h("p", {}, "No attempt yet.")
      : h("ol", { class: "attempts" }, attempts.map(attemptView).reverse()),
  );
}

function attemptView(attempt: Attempt, index: number): HTMLElement {
  const ok = attempt.status !== undefined && attempt.status >= 200 && attempt.status < 300;
  const outcome = attempt.status !== undefined ? `HTTP ${attempt.status}` : (attempt.errorClass ?? "error");
  return h(
    "li",
    { class: "attempt" },
    h(
      "details",
      { open: index === 0 },
      h("summary", {}, badge(outcome, ok ? "ok" : "error"), ` ${time(attempt.startedAt)} · ${attempt.durationMs} ms`),
      attempt.errorMessage ? h("p", { class: "error-text" }, attempt.errorMessage) : null,
      headersTable("Request headers", attempt.requestHeaders),
      headersTable("Response headers", attempt.responseHeaders),
      attempt.responseBody !== undefined
        ? h(
            "div",
            {},
            h("h3", {}, "Response body", attempt.responseBodyTruncated ? " (truncated)" : ""),
            h("pre", {}, attempt.responseBody),
          )
        : null,
    ),
  );
}

function headersTable(title: string, headers: Record<string, string> | undefined): HTMLElement | null {
  if (headers === undefined || Object.keys(headers).length === 0) return null;
  return h(
    "div",
    {},
    h("h3", {}, title),
    h(
      "table",
      { class: "headers" },
      h(
        "tbody",
        {},
        Object.entries(headers).map(([k, v]) => h("tr", {}, h("th", { scope: "row" }, k), h("td", {}, v))),
      ),
    ),
  );
}

function fact(label: string, value: Node | string): HTMLElement[] {
  return [h("dt", {}, label), h("dd", {}, value)] as unknown as HTMLElement[];
}
