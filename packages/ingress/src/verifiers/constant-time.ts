import { timingSafeEqual } from "node:crypto";

/**
 * True when `presented` equals `expected`, compared in constant time. A length mismatch returns false at once:
 * the expected length is fixed by the algorithm (a MAC's size), so it tells an attacker nothing.
 */
export function macEquals(expected: Buffer, presented: Buffer): boolean {
  return expected.length === presented.length && timingSafeEqual(expected, presented);
}

/** True when any presented MAC equals any expected one. Every pair is compared (no early exit on a match). */
export function anyMacMatches(expected: readonly Buffer[], presented: readonly Buffer[]): boolean {
  let match = false;
  for (const mac of expected) {
    for (const candidate of presented) match = macEquals(mac, candidate) || match;
  }
  return match;
}
