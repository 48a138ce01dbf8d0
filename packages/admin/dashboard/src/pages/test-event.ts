import { api, type Endpoint, type EventType } from "../api.js";
import { announce, badge, h } from "../dom.js";

const WATCH_MS = 30_000;

/**
 * Sends a test event of a type the endpoint subscribes to (its catalogue example as the payload) and watches the
 * delivery until it is delivered or dead, so a customer sees their endpoint receive it.
 */
export function testEventPanel(path: string, endpoint: Endpoint, catalogue: readonly EventType[]): HTMLElement {
  const matches = (type: string) => endpoint.eventTypes.some((pattern) => globMatches(pattern, type));
  const types = catalogue.filter((type) => matches(type.name));
  const form = h(
    "form",
    { class: "settings", "aria-labelledby": "test-title" },
    h("h2", { id: "test-title" }, "Send a test event"),
    h(
      "label",
      {},
      "Event type",
      h(
        "select",
        { name: "type" },
        types.map((type) => h("option", { value: type.name }, type.name)),
        h("option", { value: "hookyard.test" }, "hookyard.test (a plain test event)"),
      ),
    ),
    h("button", { type: "submit" }, "Send test event"),
    h("p", { id: "test-result", "aria-live": "polite" }),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const type = String(new FormData(form).get("type") ?? "hookyard.test");
    const example = catalogue.find((t) => t.name === type)?.example;
    const result = document.getElementById("test-result");
    try {
      const sent = await api<{ eventId: string; deliveryId: string }>(`${path}/test`, {
        method: "POST",
        body: { type, ...(example === undefined ? {} : { data: example }) },
      });
      announce("Test event sent");
      await watch(sent.deliveryId, (status, detail) => {
        result?.replaceChildren(
          "Test event ",
          h("code", {}, sent.eventId),
          ": ",
          badge(status, statusKind(status)),
          detail,
        );
      });
    } catch (error) {
      announce((error as Error).message, "error");
    }
  });
  return form;
}

async function watch(deliveryId: string, show: (status: string, detail: string) => void): Promise<void> {
  const until = Date.now() + WATCH_MS;
  for (;;) {
    const delivery = await api<{ status: string; attempts: number; deadReason?: string }>(
      `/deliveries/${encodeURIComponent(deliveryId)}`,
    );
    const attempts = await api<{ data: { status?: number; errorMessage?: string }[] }>(
      `/deliveries/${encodeURIComponent(deliveryId)}/attempts`,
    );
    const last = attempts.data[attempts.data.length - 1];
    const detail =
      last === undefined ? "" : last.status ? ` (HTTP ${last.status})` : ` (${last.errorMessage ?? "error"})`;
    show(delivery.status, detail);
    if (delivery.status === "delivered" || delivery.status === "dead" || Date.now() > until) return;
    await new Promise((resolve) => setTimeout(resolve, 400));
  }
}

function statusKind(status: string): string {
  return status === "delivered" ? "ok" : status === "dead" ? "error" : "warn";
}

/** The routing globs: "*" one segment, "**" any depth, exact otherwise (docs/routing.md). */
function globMatches(pattern: string, type: string): boolean {
  if (pattern === "*" || pattern === "**") return true;
  const source = pattern
    .split(".")
    .map((part) => (part === "**" ? ".*" : part === "*" ? "[^.]+" : part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")))
    .join("\\.");
  return new RegExp(`^${source}$`).test(type);
}
