import { ApiFailure, api, type Branding, credential, type Me, setCredential } from "./api.js";
import { applyBranding, startHeightSync } from "./branding.js";
import { announce, h } from "./dom.js";
import { deliveriesPage } from "./pages/deliveries.js";
import { deliveryPage } from "./pages/delivery.js";
import { endpointPage } from "./pages/endpoint.js";
import { endpointsPage } from "./pages/endpoints.js";
import { eventTypesPage } from "./pages/event-types.js";
import { newEndpointPage } from "./pages/new-endpoint.js";

/**
 * The dashboard: a hash router over four pages. Operator mode (admin API key) sees every owner; portal mode (a
 * token given in the URL fragment, `#token=…`, never sent to a server log) sees one owner.
 */
const main = document.getElementById("main") as HTMLElement;
const who = document.getElementById("who") as HTMLElement;

function takeTokenFromFragment(): void {
  const match = /^#token=([^&]+)/.exec(location.hash);
  if (match?.[1]) {
    setCredential(decodeURIComponent(match[1]));
    history.replaceState(null, "", `${location.pathname}#/endpoints`);
  }
}

function loginView(message?: string): HTMLElement {
  const form = h(
    "form",
    { class: "login", "aria-labelledby": "page-title" },
    h("h1", { id: "page-title" }, "Sign in"),
    message ? h("p", { class: "error-text", role: "alert" }, message) : null,
    h(
      "label",
      {},
      "Admin API key or portal token",
      h("input", { name: "credential", type: "password", required: true, autocomplete: "off" }),
    ),
    h("button", { type: "submit" }, "Sign in"),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    setCredential(String(new FormData(form).get("credential") ?? ""));
    void render();
  });
  return form;
}

async function render(): Promise<void> {
  if (credential() === null) {
    main.replaceChildren(loginView());
    who.textContent = "";
    return;
  }
  let me: Me;
  try {
    me = await api<Me>("/me");
  } catch (error) {
    setCredential(null);
    main.replaceChildren(loginView(error instanceof ApiFailure ? error.message : "Cannot reach Hookyard"));
    return;
  }
  who.replaceChildren(
    me.kind === "admin"
      ? `Operator (${me.keyId ?? ""})`
      : `Customer portal: ${me.owner ?? ""}${me.scope === "read" ? " (read-only)" : ""}`,
    " ",
    signOutButton(),
  );
  const [route = "", search = ""] = location.hash.replace(/^#\/?/, "").split("?");
  const [page, id] = route.split("/");
  // Resolves once the page shows the new state, so an announcement made after it is about what is on screen.
  const rerender = () => render();
  main.setAttribute("aria-busy", "true");
  try {
    let view: HTMLElement;
    if (page === "deliveries" && id) view = await deliveryPage(decodeURIComponent(id), rerender);
    else if (page === "deliveries") view = await deliveriesPage(new URLSearchParams(search));
    else if (page === "endpoints" && id === "new") view = await newEndpointPage(me);
    else if (page === "endpoints" && id) view = await endpointPage(decodeURIComponent(id), me, rerender);
    else if (page === "event-types") view = await eventTypesPage();
    else view = await endpointsPage(me);
    main.replaceChildren(view);
    for (const link of document.querySelectorAll("nav a")) {
      const current = (link.getAttribute("href") ?? "").slice(2) === (page || "endpoints");
      if (current) link.setAttribute("aria-current", "page");
      else link.removeAttribute("aria-current");
    }
    document.getElementById("page-title")?.focus();
  } catch (error) {
    main.replaceChildren(h("p", { class: "error-text", role: "alert" }, (error as Error).message));
    announce((error as Error).message, "error");
  } finally {
    main.removeAttribute("aria-busy");
  }
}

function signOutButton(): HTMLElement {
  const button = h("button", { type: "button", class: "link" }, "Sign out");
  button.addEventListener("click", () => {
    setCredential(null);
    void render();
  });
  return button;
}

/** The operator's branding (public, so even the sign-in page wears it), and height sync when embedded. */
async function brand(): Promise<void> {
  try {
    const response = await fetch("/admin/v1/branding");
    if (!response.ok) return;
    const branding = (await response.json()) as Branding;
    applyBranding(branding);
    startHeightSync(branding.frameAncestors);
  } catch {
    // Unbranded is fine: the portal works without it.
  }
}

takeTokenFromFragment();
void brand();
window.addEventListener("hashchange", () => {
  announce(""); // a message belongs to the page it was said on
  void render();
});
void render();
