import { api, type Bucket, type Endpoint, type Health } from "../api.js";
import { deliveriesChart, latencyChart } from "../chart.js";
import { announce, badge, confirmAction, h, time } from "../dom.js";

/** One endpoint: health, charts, settings (URL, event types), enable/disable, rotate secret, test, replay. */
export async function endpointPage(id: string, rerender: () => void): Promise<HTMLElement> {
  const path = `/endpoints/${encodeURIComponent(id)}`;
  const [endpoint, health, stats] = await Promise.all([
    api<Endpoint>(path),
    api<Health>(`${path}/health`),
    api<{ buckets: Bucket[] }>(`/stats/deliveries?buckets=24&endpointId=${encodeURIComponent(id)}`),
  ]);
  const editable = endpoint.source === "api";

  const act = (label: string, run: () => Promise<string>, question?: string) => {
    const button = h("button", { type: "button", class: "secondary" }, label);
    button.addEventListener("click", async () => {
      if (question !== undefined && !(await confirmAction(question, label))) return;
      try {
        announce(await run());
        rerender();
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
      "Event types (comma separated; globs like invoice.*)",
      h("input", { name: "eventTypes", value: endpoint.eventTypes.join(", "), disabled: !editable }),
    ),
    editable
      ? h("button", { type: "submit" }, "Save settings")
      : h("p", { class: "hint" }, "This endpoint comes from the config file: change it there."),
  );
  settings.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData(settings);
    const eventTypes = String(data.get("eventTypes") ?? "")
      .split(",")
      .map((t) => t.trim())
      .filter(Boolean);
    try {
      await api(path, { method: "PATCH", body: { url: String(data.get("url") ?? ""), eventTypes } });
      announce("Settings saved");
      rerender();
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
      health.enabled
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
      act("Send test event", async () => {
        await api(`${path}/test`, { method: "POST", body: {} });
        return "Test event queued";
      }),
      editable
        ? act(
            "Rotate secret",
            async () => {
              const result = await api<{ secret: string }>(`${path}/rotate-secret`, { method: "POST", body: {} });
              return `New secret (shown once): ${result.secret}`;
            },
            `Rotate the signing secret of ${id}? The old one keeps working for 24 hours.`,
          )
        : null,
    ),
    h("div", { class: "charts" }, deliveriesChart(stats.buckets), latencyChart(stats.buckets)),
    h("div", { class: "columns" }, settings, replay),
  );
}
