import { type Attempt, api, type Hold } from "../api.js";
import { announce, badge, confirmAction, h, time } from "../dom.js";
import { headersViewer, jsonViewer } from "../json-viewer.js";

interface Delivery {
  deliveryId: string;
  endpointId: string;
  status: string;
  attempts: number;
  createdAt: string;
  dueAt?: string;
  deadReason?: string;
  hold?: Hold;
  event?: {
    id: string;
    type: string;
    source: string;
    time: string;
    contentType: string;
    headers?: Record<string, string>;
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
      delivery.hold ? fact("Held", holdText(delivery.hold)) : null,
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
          "section",
          { "aria-labelledby": "event-title" },
          h("h2", { id: "event-title" }, "Event"),
          jsonViewer(
            "Payload",
            delivery.event.data ?? delivery.event.dataBase64 ?? "",
            delivery.event.data === undefined ? "binary, shown as base64" : delivery.event.contentType,
          ),
          headersViewer("Event headers", delivery.event.headers),
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
      headersViewer("Request headers", attempt.requestHeaders),
      headersViewer("Response headers", attempt.responseHeaders),
      attempt.responseBody !== undefined
        ? jsonViewer("Response body", attempt.responseBody, attempt.responseBodyTruncated ? "truncated" : undefined)
        : null,
    ),
  );
}

function fact(label: string, value: Node | string): HTMLElement[] {
  return [h("dt", {}, label), h("dd", {}, value)] as unknown as HTMLElement[];
}

/** What parks a queued delivery, in words: "held by the breaker until 14:05:00". */
export function holdText(hold: Hold): HTMLElement {
  const what = hold.heldBy === "breaker" ? "Held by the breaker" : "Held: endpoint disabled";
  return h(
    "span",
    { class: "hold" },
    badge(hold.until ? `${what} until ${time(hold.until)}` : what, "warn"),
    " ",
    h("span", { class: "hint" }, hold.reason),
  );
}
