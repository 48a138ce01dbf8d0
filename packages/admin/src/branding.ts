import type { AdminSettings, PortalBranding } from "./deps.js";

/** What GET /admin/v1/branding answers: the portal's look, and the origins it may post its height to. */
export function brandingView(settings: AdminSettings) {
  const branding: PortalBranding = settings.branding ?? {};
  return {
    ...(branding.name === undefined ? {} : { name: branding.name }),
    ...(branding.logoUrl === undefined ? {} : { logoUrl: branding.logoUrl }),
    ...(branding.colors === undefined ? {} : { colors: branding.colors }),
    theme: branding.theme ?? "auto",
    // Only concrete origins: a height message is posted to each, never to "*".
    frameAncestors: settings.frameAncestors.filter((origin) => /^https?:\/\/[^*]+$/.test(origin)),
  };
}

/** The logo's origin joins the dashboard's CSP img-src (only https and data: logos are accepted by the config). */
export function logoOrigin(branding: PortalBranding | undefined): string | undefined {
  const url = branding?.logoUrl;
  if (url === undefined || url.startsWith("data:")) return undefined;
  try {
    return new URL(url).origin;
  } catch {
    return undefined;
  }
}
