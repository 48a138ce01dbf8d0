import { readFile } from "node:fs/promises";
import type { FastifyInstance } from "fastify";
import { sendApiError } from "./api-error.js";

/** The built dashboard (build-dashboard.mjs writes it next to this file's compiled form). */
const ASSETS: Readonly<Record<string, string>> = {
  "index.html": "text/html; charset=utf-8",
  "app.js": "text/javascript; charset=utf-8",
  "app.css": "text/css; charset=utf-8",
};

/**
 * Serves the dashboard at /dashboard/ from files shipped in the package (nothing from a CDN), with a strict CSP
 * whose frame-ancestors lets operators embed the portal in their own product.
 */
export async function registerDashboardRoutes(
  app: FastifyInstance,
  options: { readonly frameAncestors: readonly string[]; readonly logoOrigin?: string },
): Promise<void> {
  const files = new Map<string, Buffer>();
  for (const name of Object.keys(ASSETS)) {
    const content = await readFile(new URL(`./dashboard/${name}`, import.meta.url)).catch(() => undefined);
    if (content !== undefined) files.set(name, content);
  }
  const ancestors = options.frameAncestors.length === 0 ? "'self'" : options.frameAncestors.join(" ");
  const csp = [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    `img-src 'self' data:${options.logoOrigin === undefined ? "" : ` ${options.logoOrigin}`}`,
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    `frame-ancestors ${ancestors}`,
  ].join("; ");

  app.get("/dashboard", async (_request, reply) => reply.redirect("/dashboard/", 302));
  app.get("/dashboard/:file", async (request, reply) => {
    const name = (request.params as { file?: string }).file || "index.html";
    const type = ASSETS[name];
    const content = files.get(name);
    if (type === undefined) return sendApiError(reply, 404, "NOT_FOUND", "no such dashboard file");
    if (content === undefined) {
      return sendApiError(reply, 503, "DASHBOARD_NOT_BUILT", "run npm run build in packages/admin");
    }
    return reply
      .header("content-security-policy", csp)
      .header("x-content-type-options", "nosniff")
      .header("referrer-policy", "no-referrer")
      .header("cache-control", name === "index.html" ? "no-cache" : "public, max-age=300")
      .type(type)
      .send(content);
  });
}
