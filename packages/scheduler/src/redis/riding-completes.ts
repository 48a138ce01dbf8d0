import type { ScriptArg } from "./scripts.js";

/**
 * A worker's `complete` that rides in its next claim's script call (complete-claim.lua). The worker lets settled
 * results wait for its next claim and makes both calls in the same turn (worker.ts): the complete is offered
 * here, and a claim of the same worker made before the complete is sent takes it and runs both in one EVALSHA.
 * Nothing waits for a claim: the complete withdraws its offer when it is ready to go (a few microtasks later) and
 * is sent alone if no claim took it.
 */
export interface RidingCompletes {
  /** Offers a complete's arguments; `withdraw` then says whether a claim took them (and its reply's promise). */
  offer(workerId: string, args: readonly ScriptArg[]): Offer;
  /** The complete of `workerId` waiting to ride, taken: the caller must `settle` it with the part it ran. */
  take(workerId: string): Ride | undefined;
}

export interface Offer {
  /** undefined: no claim took it, send it alone; otherwise the complete's reply from the combined call. */
  withdraw(): Promise<unknown> | undefined;
}

export interface Ride {
  readonly args: readonly ScriptArg[];
  settle(reply: unknown): void;
  fail(error: unknown): void;
}

export function createRidingCompletes(): RidingCompletes {
  const waiting = new Map<string, { args: readonly ScriptArg[]; taken?: Promise<unknown> }>();
  return {
    offer(workerId, args) {
      if (waiting.has(workerId)) return { withdraw: () => undefined }; // one rides per claim
      const entry: { args: readonly ScriptArg[]; taken?: Promise<unknown> } = { args };
      waiting.set(workerId, entry);
      return {
        withdraw() {
          if (waiting.get(workerId) === entry) waiting.delete(workerId);
          return entry.taken;
        },
      };
    },
    take(workerId) {
      const entry = waiting.get(workerId);
      if (entry === undefined) return undefined;
      waiting.delete(workerId);
      let settle: (reply: unknown) => void = () => {};
      let fail: (error: unknown) => void = () => {};
      entry.taken = new Promise((resolve, reject) => {
        settle = resolve;
        fail = reject;
      });
      return { args: entry.args, settle, fail };
    },
  };
}
