import type { Branding } from "./api.js";

/**
 * The operator's look: name, logo, colours (as CSS custom properties, set through the CSSOM, which the strict CSP
 * allows; they style the light theme) and theme (`data-theme` light or dark on <html>; "auto" follows the system).
 */
export function applyBranding(branding: Branding): void {
  const root = document.documentElement;
  if (branding.theme === "auto") {
    // "auto" follows the viewer's system setting, live: app.css only knows light and dark.
    const dark = matchMedia("(prefers-color-scheme: dark)");
    const follow = () => {
      root.dataset.theme = dark.matches ? "dark" : "light";
    };
    dark.addEventListener("change", follow);
    follow();
  } else {
    root.dataset.theme = branding.theme;
  }
  const colors = branding.colors ?? {};
  // Light-theme colours (app.css reads them); the dark palette stays readable whatever the brand's colours are.
  if (colors.accent) root.style.setProperty("--brand-accent", colors.accent);
  if (colors.background) root.style.setProperty("--brand-bg", colors.background);
  if (colors.text) root.style.setProperty("--brand-fg", colors.text);
  const name = branding.name ?? "Hookyard";
  document.title = `${name} webhooks`;
  const brand = document.querySelector(".brand");
  if (brand === null) return;
  brand.replaceChildren();
  if (branding.logoUrl) {
    const logo = document.createElement("img");
    logo.src = branding.logoUrl;
    logo.alt = "";
    logo.className = "logo";
    brand.append(logo);
  }
  brand.append(name);
}

/**
 * Embedded in an iframe, the portal tells its parent how tall it is whenever that changes, so the operator's page
 * can size the frame without scrollbars: `{ type: "hookyard:resize", height }`, posted only to the configured
 * frame-ancestor origins (a message to any other parent origin is dropped by the browser).
 */
export function startHeightSync(origins: readonly string[]): void {
  if (window.parent === window || origins.length === 0) return;
  let last = -1;
  const post = () => {
    const height = Math.ceil(document.documentElement.scrollHeight);
    if (height === last) return;
    last = height;
    for (const origin of origins) window.parent.postMessage({ type: "hookyard:resize", height }, origin);
  };
  new ResizeObserver(post).observe(document.body);
  post();
}
