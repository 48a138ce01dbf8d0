import type { DedupClaim, DedupStore } from "./collaborators.js";

export interface MemoryDedupOptions {
  readonly now?: () => number;
  /** Most keys kept; the oldest are dropped first. Default 100,000. */
  readonly maxKeys?: number;
}

/** An in-process `DedupStore` for tests and the embedded mode: not shared across instances, lost on restart. */
export function createMemoryDedup(options: MemoryDedupOptions = {}): DedupStore {
  const now = options.now ?? Date.now;
  const maxKeys = options.maxKeys ?? 100_000;
  const entries = new Map<string, { state: "pending" | "done"; expiresAt: number }>();
  const live = (key: string) => {
    const entry = entries.get(key);
    if (entry !== undefined && entry.expiresAt <= now()) {
      entries.delete(key);
      return undefined;
    }
    return entry;
  };
  const set = (key: string, state: "pending" | "done", ttlMs: number) => {
    entries.delete(key);
    // Insertion-ordered Map: the first key is the oldest.
    if (entries.size >= maxKeys) entries.delete(entries.keys().next().value ?? "");
    entries.set(key, { state, expiresAt: now() + ttlMs });
  };
  return {
    async claim(key: string, leaseMs: number): Promise<DedupClaim> {
      const entry = live(key);
      if (entry !== undefined) return entry.state === "done" ? "accepted" : "in-flight";
      set(key, "pending", leaseMs);
      return "first";
    },
    async complete(key: string, ttlMs: number): Promise<void> {
      set(key, "done", ttlMs);
    },
    async release(key: string): Promise<void> {
      if (live(key)?.state === "pending") entries.delete(key);
    },
  };
}
