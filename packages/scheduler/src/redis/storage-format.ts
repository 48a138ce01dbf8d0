import { HookyardError } from "@hookyard/core";
import type { RedisClient } from "./connection.js";
import type { RedisKeys } from "./keys.js";

/**
 * The storage format gate (keys.ts, `{hy}:format`): which layout the data may be written in. A version reads every
 * format up to its own, but writes a newer one only once the store says so, as an instance of an older version
 * still running against the same Redis (a rolling upgrade) would misread it.
 *
 * - 1 (absent): every envelope inside its delivery's hash, or its fan-out message's.
 * - 2: the envelopes of single-delivery messages enqueued in batches are kept in `{hy}:envelopes`, written and read
 *   outside Lua and left there until their outbox record is stored. Lua interns every string it is handed, hashing
 *   all its bytes (~11 instructions per byte): this saves Redis that work at the enqueue and at the settle.
 *
 * The first endpoint sync of an empty store sets the newest format (sync-endpoints.lua): nothing older can be
 * there. A store with data keeps its format until `hookyard storage-format --upgrade` moves it on, once every
 * instance runs this version (docs/production.md, "Upgrading"). Endpoint syncs and enqueue calls reply with the
 * format, so a running instance follows an upgrade with its next call. The format only ever moves forward.
 */
export const NEWEST_STORAGE_FORMAT = 2;

/** In an enqueue record in place of the envelope: written ahead to `{hy}:envelopes` (an encoded envelope is JSON). */
export const ENVELOPE_EXTERNAL = "@";

/** What a store knows of its format: the last one an enqueue reply named (1 until then). */
export interface StorageFormatState {
  /** Whether enqueues may keep envelopes in `{hy}:envelopes` (format 2 or later). */
  external(): boolean;
  /** An enqueue reply's last item: the format it found. */
  learn(reply: unknown): void;
}

export function createStorageFormatState(): StorageFormatState {
  let format = 1;
  return {
    external: () => format >= 2,
    learn(reply) {
      const named = Number(reply);
      if (Number.isInteger(named) && named > format) format = named;
    },
  };
}

/** A store's format and the newest this version writes. */
export interface StorageFormatReport {
  readonly format: number;
  readonly newest: number;
}

/** Reads the format of the store whose keys are `keys` (1 when never set). */
export async function readStorageFormat(client: RedisClient, keys: RedisKeys): Promise<StorageFormatReport> {
  const stored = await client.get(keys.format);
  const format = stored === null ? 1 : Number(stored);
  if (!Number.isInteger(format) || format < 1) {
    throw new HookyardError("CONFIG_INVALID", `${keys.format} holds ${JSON.stringify(stored)}, not a storage format`);
  }
  return { format, newest: NEWEST_STORAGE_FORMAT };
}

/**
 * Moves the store to this version's newest format; a store already there (or newer: written by a later version)
 * is left as it is. Only once no instance of an older version runs against it.
 */
export async function upgradeStorageFormat(client: RedisClient, keys: RedisKeys): Promise<StorageFormatReport> {
  // Format 1 is never stored (the key is absent), so NX sets it only over format 1, atomically: a later version's
  // upgrade at the same time is never undone.
  await client.set(keys.format, String(NEWEST_STORAGE_FORMAT), "NX");
  return readStorageFormat(client, keys);
}
