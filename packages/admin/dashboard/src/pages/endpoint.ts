import {
  ApiFailure,
  api,
  type Bucket,
  canManage,
  type Endpoint,
  type EventType,
  type Health,
  type Me,
} from "../api.js";
import { deliveriesChart, latencyChart } from "../chart.js";
import { announce, badge, confirmAction, h, time } from "../dom.js";
import { selectedTypes, typePicker } from "../type-picker.js";
import { testEventPanel } from "./test-event.js";

/**
 * One endpoint: health, charts, settings (URL, description, event types from the catalogue), enable/disable,
 * delete, test event (watched until it arrives), signing secret (reveal, rotate), replay. Read-only credentials
 * see the same page without the controls that change things.
 */
export async function endpointPage(id: string, me: Me, rerender: () => Promise<void>): Promise<HTMLElement> {
  const path = `/endpoints/${encodeURIComponent(id)}`;
  const [endpoint, health, stats, catalogue] = await Promise.all([
    api<Endpoint>(path),
    api<Health>(`${path}/health`),
    api<{ buckets: Bucket[] }>(`/stats/deliveries?buckets=24&endpointId=${encodeURIComponent(id)}`),
    api<{ data: EventType[] }>("/event-types").then((r) => r.data),
  ]);
  const manage = canManage(me);
  const editable = endpoint.source === "api" && manage;

  const act = (label: string, run: () => Promise<string>, question?: string) => {
    const button = h("button", { type: "button", class: "secondary" }, label);
    button.addEventListener("click", async () => {
      if (question !== undefined && !(await confirmAction(question, label))) return;
      try {
        const message = await run();
        // Re-rendered first: a click right after the announcement then lands on the fresh page, never on one
        // about to be replaced (a reveal after a rotation showed the old secret list, then vanished).
        await rerender();
        announce(message);
      } catch (error) {
        announce((error as Error).message, "error");
      }
    });
    return button;
  };

  const settings = h(
    "form",
    { class: "settings", "aria-labelledby": "settings-title" },
    h("h2", { id: "settings-title" }, "Settings"),
    h(
      "label",
      {},
      "URL",
      h("input", { name: "url", type: "url", required: true, value: endpoint.url, disabled: !editable }),
    ),
    h(
      "label",
      {},
      "Description",
      h("input", { name: "description", value: endpoint.description ?? "", disabled: !editable, maxlength: 1024 }),
    ),
    editable
      ? typePicker(catalogue, endpoint.eventTypes)
      : h(
          "p",
          {},
          "Event types: ",
          endpoint.eventTypes.length === 0 ? "—" : h("code", {}, endpoint.eventTypes.join(", ")),
        ),
    editable
      ? h("button", { type: "submit" }, "Save settings")
      : h(
          "p",
          { class: "hint" },
          endpoint.source === "config"
            ? "This endpoint comes from the config file: change it there."
            : "Read-only access.",
        ),
  );
  settings.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData(settings);
    const body = {
      url: String(data.get("url") ?? ""),
      description: String(data.get("description") ?? ""),
      eventTypes: selectedTypes(settings),
    };
    try {
      await api(path, { method: "PATCH", body });
      await rerender();
      announce("Settings saved");
    } catch (error) {
      announce((error as Error).message, "error");
    }
  });

  const replay = h(
    "form",
    { class: "settings", "aria-labelledby": "replay-title" },
    h("h2", { id: "replay-title" }, "Replay"),
    h("label", {}, "From", h("input", { name: "from", type: "datetime-local" })),
    h("label", {}, "To", h("input", { name: "to", type: "datetime-local" })),
    h(
      "label",
      {},
      "Status",
      h(
        "select",
        { name: "status" },
        h("option", { value: "" }, "delivered and dead"),
        h("option", { value: "dead" }, "dead"),
        h("option", { value: "delivered" }, "delivered"),
      ),
    ),
    h("button", { type: "submit" }, "Replay deliveries"),
    h("p", { id: "replay-progress", "aria-live": "polite" }),
  );
  replay.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!(await confirmAction(`Replay the deliveries of ${id} in this range?`, "Replay"))) return;
    const data = new FormData(replay);
    const iso = (name: string) => {
      const value = String(data.get(name) ?? "");
      return value ? new Date(value).toISOString() : undefined;
    };
    const status = String(data.get("status") ?? "");
    try {
      let job = await api<{ id: string; state: string; replayed: number; scanned: number }>("/replay-jobs", {
        method: "POST",
        body: { endpointId: id, from: iso("from"), to: iso("to"), ...(status ? { status } : {}) },
      });
      const progress = document.getElementById("replay-progress");
      while (job.state === "running") {
        if (progress) progress.textContent = `Replaying… ${job.replayed} queued of ${job.scanned} examined`;
        await new Promise((resolve) => setTimeout(resolve, 500));
        job = await api(`/replay-jobs/${encodeURIComponent(job.id)}`);
      }
      if (progress) progress.textContent = `Replay ${job.state}: ${job.replayed} deliveries queued again`;
    } catch (error) {
      announce((error as Error).message, "error");
    }
  });

  return h(
    "section",
    { "aria-labelledby": "page-title" },
    h("p", {}, h("a", { href: "#/endpoints" }, "← Endpoints")),
    h("h1", { id: "page-title" }, "Endpoint ", h("code", {}, endpoint.id)),
    h(
      "dl",
      { class: "facts" },
      h("dt", {}, "Owner"),
      h("dd", {}, endpoint.owner),
      h("dt", {}, "State"),
      h("dd", {}, health.enabled ? badge("enabled", "ok") : badge(`disabled: ${health.disabledReason ?? ""}`, "error")),
      h("dt", {}, "Breaker"),
      h("dd", {}, badge(health.breaker, health.breaker === "closed" ? "ok" : "warn")),
      h("dt", {}, "Success rate"),
      h(
        "dd",
        {},
        health.successRate === null ? "—" : `${Math.round(health.successRate * 100)}% of ${health.sampleSize}`,
      ),
      h("dt", {}, "Queued / in flight / dead"),
      h("dd", {}, `${health.queued} / ${health.inFlight} / ${health.dead}`),
      h("dt", {}, "Last error"),
      h(
        "dd",
        {},
        health.lastError
          ? h(
              "a",
              { href: `#/deliveries/${encodeURIComponent(health.lastError.deliveryId)}` },
              `${health.lastError.status ? `HTTP ${health.lastError.status}` : (health.lastError.errorClass ?? "error")} ${health.lastError.message ?? ""} (${time(health.lastError.at)})`,
            )
          : "—",
      ),
      h("dt", {}, "Next retry"),
      h("dd", {}, time(health.nextRetryAt)),
      h("dt", {}, "Secrets"),
      h(
        "dd",
        {},
        endpoint.secrets.map((s) =>
          h("div", {}, h("code", {}, s.fingerprint), s.expiresAt ? ` expires ${time(s.expiresAt)}` : ""),
        ),
      ),
    ),
    h(
      "div",
      { class: "actions" },
      h("a", { class: "button", href: `#/deliveries?endpointId=${encodeURIComponent(id)}` }, "Deliveries"),
      !manage
        ? null
        : health.enabled
          ? act(
              "Disable",
              async () => {
                await api(`${path}/disable`, { method: "POST" });
                return "Endpoint disabled";
              },
              `Disable ${id}? Its deliveries stay queued.`,
            )
          : act("Enable", async () => {
              await api(`${path}/enable`, { method: "POST" });
              return "Endpoint enabled";
            }),
      manage ? revealButton(path) : null,
      editable
        ? act(
            "Rotate secret",
            async () => {
              const result = await api<{ secret: string }>(`${path}/rotate-secret`, { method: "POST", body: {} });
              return `New secret: ${result.secret}`;
            },
            `Rotate the signing secret of ${id}? The old one keeps working for 24 hours.`,
          )
        : null,
      editable ? deleteButton(id, path) : null,
    ),
    h("div", { id: "secret-panel", "aria-live": "polite" }),
    manage ? testEventPanel(path, endpoint, catalogue) : null,
    h("div", { class: "charts" }, deliveriesChart(stats.buckets), latencyChart(stats.buckets)),
    h("div", { class: "columns" }, settings, manage ? replay : null),
  );
}

function revealButton(path: string): HTMLElement {
  const button = h("button", { type: "button", class: "secondary" }, "Reveal secret");
  button.addEventListener("click", async () => {
    try {
      const { secrets } = await api<{ secrets: { secret: string; expiresAt?: string }[] }>(`${path}/secret`);
      document
        .getElementById("secret-panel")
        ?.replaceChildren(
          h("h2", {}, "Signing secret"),
          ...secrets.map((s) =>
            h("pre", { class: "secret" }, s.secret, s.expiresAt ? `  (expires ${time(s.expiresAt)})` : ""),
          ),
        );
    } catch (error) {
      announce((error as Error).message, "error");
    }
  });
  return button;
}

/** Deletes after a confirmation; while deliveries are queued, a second one offers to dead-letter them. */
function deleteButton(id: string, path: string): HTMLElement {
  const button = h("button", { type: "button", class: "danger" }, "Delete endpoint");
  button.addEventListener("click", async () => {
    if (!(await confirmAction(`Delete ${id}? This cannot be undone.`, "Delete"))) return;
    try {
      await api(path, { method: "DELETE" });
    } catch (error) {
      if (!(error instanceof ApiFailure) || error.code !== "ENDPOINT_BUSY") {
        announce((error as Error).message, "error");
        return;
      }
      const question = `${error.message}. Delete anyway and dead-letter them?`;
      if (!(await confirmAction(question, "Delete anyway"))) return;
      try {
        await api(`${path}?force=true`, { method: "DELETE" });
      } catch (again) {
        announce((again as Error).message, "error");
        return;
      }
    }
    announce(`Endpoint ${id} deleted`);
    location.hash = "#/endpoints";
  });
  return button;
}
