import { randomUUID } from "node:crypto";
import type { Principal } from "../auth/principal.js";
import { actorOf } from "../auth/principal.js";
import type { AdminStorage } from "./admin-storage.js";

export interface AuditLog {
  /** Records one change; `before`/`after` must already be free of secrets (use the views). */
  record(
    principal: Principal,
    action: string,
    target: { kind: string; id: string },
    change?: { before?: unknown; after?: unknown },
  ): Promise<void>;
}

export function createAuditLog(storage: AdminStorage, now: () => number): AuditLog {
  return {
    async record(principal, action, target, change = {}) {
      await storage.appendAudit({
        id: randomUUID(),
        at: now(),
        actor: actorOf(principal),
        action,
        target,
        ...(change.before === undefined ? {} : { before: change.before }),
        ...(change.after === undefined ? {} : { after: change.after }),
      });
    },
  };
}
