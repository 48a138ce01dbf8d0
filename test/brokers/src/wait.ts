import type { ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { setTimeout as delay } from "node:timers/promises";

/** A name no other test run uses, for topics, queues and keys. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(4).toString("hex")}`;
}

/**
 * Polls `probe` until it returns a value other than undefined, or fails after `timeoutMs` with `what` in the
 * message. For conditions no event announces (a broker's state); prefer awaiting events where there are some.
 */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  { timeoutMs = 10_000, intervalMs = 50 }: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`, { cause: lastError });
    }
    await delay(intervalMs);
  }
}

/** The process `waitForStart` watched exited before it answered. */
export class ExitedWhileStarting extends Error {}

/**
 * `waitFor` for a server the test just spawned: fails at once, naming how the process ended, when it exits before
 * `probe` succeeds (a port taken, a bad setting), instead of polling a dead process until the timeout.
 */
export async function waitForStart<T>(
  what: string,
  child: ChildProcess,
  probe: () => Promise<T | undefined> | T | undefined,
  options: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const exited = Symbol("exited");
  const result = await waitFor<T | typeof exited>(
    what,
    () => (child.exitCode !== null || child.signalCode !== null ? exited : probe()),
    options,
  );
  if (result === exited) {
    const how = child.signalCode ?? `status ${child.exitCode}`;
    throw new ExitedWhileStarting(`${what}: the process exited (${how}) before it answered`);
  }
  return result;
}

/** Rejects after `timeoutMs` unless `promise` settles first; names `what` in the error. */
export async function withDeadline<T>(what: string, promise: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Polls `remaining` (how much of something is still outstanding) until it reaches 0. Keeps waiting while it falls:
 * fails only when it has not fallen for `stallMs`, or after `capMs` in all. For work that drains at a rate the
 * machine's load decides (a backlog handed off to a database), where one fixed timeout is either too short on a
 * loaded machine or hides a stall on an idle one. Resolves with the time it took.
 */
export async function waitForProgress(
  what: string,
  remaining: () => Promise<number> | number,
  {
    stallMs = 60_000,
    capMs = 300_000,
    intervalMs = 500,
  }: { stallMs?: number; capMs?: number; intervalMs?: number } = {},
): Promise<number> {
  const started = Date.now();
  let best = Number.POSITIVE_INFINITY;
  let lastProgress = started;
  let lastError: unknown;
  for (;;) {
    try {
      const left = await remaining();
      if (left === 0) return Date.now() - started;
      if (left < best) {
        best = left;
        lastProgress = Date.now();
      }
    } catch (error) {
      lastError = error;
    }
    const now = Date.now();
    if (now - lastProgress > stallMs || now - started > capMs) {
      const why = now - started > capMs ? `${capMs} ms in all` : `no progress for ${stallMs} ms`;
      throw new Error(`gave up waiting for ${what} after ${why} (${best} left)`, { cause: lastError });
    }
    await delay(intervalMs);
  }
}
