import type { Branding } from "./api.js";

/**
 * The operator's look: name, logo, colours (as CSS custom properties, set through the CSSOM, which the strict CSP
 * allows) and theme (`data-theme` on <html>; "auto" follows prefers-color-scheme in app.css).
 */
export function applyBranding(branding: Branding): void {
  const root = document.documentElement;
  root.dataset.theme = branding.theme;
  const colors = branding.colors ?? {};
  if (colors.accent) root.style.setProperty("--accent", colors.accent);
  if (colors.background) root.style.setProperty("--bg", colors.background);
  if (colors.text) root.style.setProperty("--fg", colors.text);
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
