import { api, type Endpoint, type EventType, type Me } from "../api.js";
import { announce, h } from "../dom.js";
import { selectedTypes, typePicker } from "../type-picker.js";

/** Create an endpoint: URL (checked against the SSRF policy by the server), description, event types. */
export async function newEndpointPage(me: Me): Promise<HTMLElement> {
  const { data: catalogue } = await api<{ data: EventType[] }>("/event-types");
  const form = h(
    "form",
    { class: "settings wide", "aria-labelledby": "page-title" },
    h("label", {}, "Endpoint URL", h("input", { name: "url", type: "url", required: true, placeholder: "https://" })),
    me.kind === "admin" ? h("label", {}, "Owner", h("input", { name: "owner", required: true })) : null,
    h("label", {}, "Description", h("input", { name: "description", maxlength: 1024 })),
    typePicker(catalogue, []),
    h("button", { type: "submit" }, "Create endpoint"),
  );
  const result = h("div", { id: "created", "aria-live": "polite" });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const description = String(data.get("description") ?? "");
    try {
      const created = await api<{ endpoint: Endpoint; secret: string }>("/endpoints", {
        method: "POST",
        body: {
          url: String(data.get("url") ?? ""),
          eventTypes: selectedTypes(form),
          ...(description ? { description } : {}),
          ...(me.kind === "admin" ? { owner: String(data.get("owner") ?? "") } : {}),
        },
      });
      announce(`Endpoint ${created.endpoint.id} created`);
      result.replaceChildren(
        h("h2", {}, "Endpoint created"),
        h("p", {}, "Its signing secret (you can reveal it again on the endpoint's page):"),
        h("pre", { class: "secret" }, created.secret),
        h("a", { class: "button", href: `#/endpoints/${encodeURIComponent(created.endpoint.id)}` }, "Open endpoint"),
      );
      form.remove();
    } catch (error) {
      announce((error as Error).message, "error");
    }
  });
  return h(
    "section",
    { "aria-labelledby": "page-title" },
    h("p", {}, h("a", { href: "#/endpoints" }, "← Endpoints")),
    h("h1", { id: "page-title", tabindex: "-1" }, "New endpoint"),
    form,
    result,
  );
}
