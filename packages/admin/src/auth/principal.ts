import type { PortalScope } from "./portal-token.js";

/** Who makes a request: an operator with an admin API key, or a customer with a portal token for one owner. */
export type Principal =
  | { readonly kind: "admin"; readonly keyId: string }
  | { readonly kind: "portal"; readonly owner: string; readonly scope: PortalScope; readonly expiresAt: number };

/** How the audit log names a principal. */
export function actorOf(principal: Principal): { readonly kind: string; readonly id: string } {
  return principal.kind === "admin" ? { kind: "admin", id: principal.keyId } : { kind: "portal", id: principal.owner };
}

/** Whether the principal may see resources of `owner`. */
export function mayAccess(principal: Principal, owner: string): boolean {
  return principal.kind === "admin" || principal.owner === owner;
}
