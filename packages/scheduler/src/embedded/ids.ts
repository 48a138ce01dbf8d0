import { randomBytes } from "node:crypto";

/**
 * Makes unique ids that sort by creation time: base36 milliseconds (fixed width), a per-millisecond sequence
 * (keeps order within one millisecond) and random bytes (unique across processes).
 */
export function createIdFactory(): (now: number) => string {
  let lastMs = -1;
  let sequence = 0;
  return (now) => {
    if (now === lastMs) sequence += 1;
    else {
      lastMs = now;
      sequence = 0;
    }
    return `${idTimePrefix(now)}${sequence.toString(36).padStart(4, "0")}${randomBytes(3).toString("hex")}`;
  };
}

/** The leading part of every id made at `ms`: ids made at or after `ms` sort at or after it (lexically). */
export function idTimePrefix(ms: number): string {
  return Math.max(0, Math.floor(ms)).toString(36).padStart(9, "0");
}
