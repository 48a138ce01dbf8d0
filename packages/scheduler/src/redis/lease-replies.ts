import type { ChainableCommander } from "ioredis";
import type { ClaimedDelivery } from "../store.js";
import type { RedisClient } from "./connection.js";
import type { EnvelopeReuse } from "./envelope-reuse.js";
import type { RedisKeys } from "./keys.js";

/** Items per lease in claim.lua's reply and in enqueue.lua's pushes. */
const ITEMS_PER_LEASE = 8;

/** A lease as claim.lua and enqueue.lua's pushes describe it, but its envelope. */
export interface Lease {
  readonly deliveryId: string;
  readonly endpointId: string;
  readonly attempt: number;
  readonly createdAt: number;
  readonly throttled: number;
  readonly leaseToken: string;
}

/**
 * A claimed lease: its envelope is read outside Lua, from `{hy}:envelopes` (external, storage format 2), the
 * delivery's hash, or its message's (a fan-out).
 */
export interface LeaseHead extends Lease {
  readonly messageId: string;
  readonly external: boolean;
}

/**
 * Leases of 8 items each from `start`: id, endpoint, attempt, created at, `fifth`, throttled, token, `eighth`, each
 * made into a T by `make`. The fifth is the message id in claim.lua's reply and the envelope's text in enqueue.lua's
 * pushes (the enqueue has it in hand); the eighth, "1" in a claim's when the envelope is in `{hy}:envelopes`.
 */
function decodeItems<T>(
  items: readonly unknown[],
  start: number,
  make: (lease: Lease, fifth: string, eighth: string) => T,
): T[] {
  const leases: T[] = [];
  for (let i = start; i + ITEMS_PER_LEASE - 1 < items.length; i += ITEMS_PER_LEASE) {
    const lease: Lease = {
      deliveryId: String(items[i]),
      endpointId: String(items[i + 1]),
      attempt: Number(items[i + 2]),
      createdAt: Number(items[i + 3]),
      throttled: Number(items[i + 5]),
      leaseToken: String(items[i + 6]),
    };
    leases.push(make(lease, String(items[i + 4]), String(items[i + 7])));
  }
  return leases;
}

/** claim.lua's leases, from `start`. */
export function decodeLeaseHeads(items: readonly unknown[], start: number): LeaseHead[] {
  return decodeItems(items, start, (lease, messageId, external) => ({
    ...lease,
    messageId,
    external: external === "1",
  }));
}

/** enqueue.lua's pushed leases, with their envelopes. */
export function decodePushedLeases(items: readonly unknown[], envelopes: EnvelopeReuse): ClaimedDelivery[] {
  return decodeItems(items, 0, (lease, text) => leasedDelivery(lease, text, envelopes));
}

/** A lease with its envelope, decoded from its text as leased (see envelope-reuse.ts). */
export function leasedDelivery(lease: Lease, text: string, envelopes: EnvelopeReuse): ClaimedDelivery {
  return {
    deliveryId: lease.deliveryId,
    endpointId: lease.endpointId,
    attempt: lease.attempt,
    createdAt: lease.createdAt,
    envelope: envelopes.leased(lease.deliveryId, text),
    leaseToken: lease.leaseToken,
    ...(lease.throttled > 0 ? { throttled: lease.throttled } : {}),
  };
}

/**
 * The envelopes' texts of claimed leases, in order, read outside Lua in one pipeline: one HMGET of
 * `{hy}:envelopes` for those kept there, one HGET of each other delivery's "env" (a message with one delivery keeps
 * its envelope there); then, for those without, one of each message's (a fan-out's shared envelope). Undefined
 * where none has it (lost data). In Lua the same reads hashed every byte of every envelope (see claim.lua's
 * header); here Redis copies them into the reply and nothing more.
 */
export async function readLeasedEnvelopes(
  client: RedisClient,
  keys: RedisKeys,
  heads: readonly LeaseHead[],
): Promise<(string | undefined)[]> {
  const external = heads.filter((head) => head.external).map((head) => head.deliveryId);
  const inline = heads.filter((head) => !head.external).map((head) => head.deliveryId);
  const pipeline = client.pipeline();
  if (external.length > 0) pipeline.hmget(keys.envelopes, ...external);
  for (const id of inline) pipeline.hget(keys.delivery(id), "env");
  const values = await execValues(pipeline, (external.length > 0 ? 1 : 0) + inline.length);
  const kept = external.length > 0 ? (values.shift() as unknown[]) : [];
  const byDelivery = new Map<string, unknown>([
    ...external.map((id, i) => [id, kept[i]] as const),
    ...inline.map((id, i) => [id, values[i]] as const),
  ]);
  const texts = heads.map((head) => asText(byDelivery.get(head.deliveryId)));
  const shared = [
    ...new Set(heads.filter((head, i) => !head.external && texts[i] === undefined).map((head) => head.messageId)),
  ];
  if (shared.length === 0) return texts;
  const sharedTexts = await hgetEnv(
    client,
    shared.map((messageId) => keys.message(messageId)),
  );
  const byMessage = new Map(shared.map((messageId, i) => [messageId, sharedTexts[i]]));
  return texts.map((text, i) => text ?? byMessage.get((heads[i] as LeaseHead).messageId));
}

/** HGET <key> env for each key, pipelined (the keys share the store's hash slot). */
async function hgetEnv(client: RedisClient, hashKeys: readonly string[]): Promise<(string | undefined)[]> {
  const pipeline = client.pipeline();
  for (const key of hashKeys) pipeline.hget(key, "env");
  return (await execValues(pipeline, hashKeys.length)).map(asText);
}

/** Runs a pipeline of `count` commands; their replies, in order (the first error thrown). */
async function execValues(pipeline: ChainableCommander, count: number): Promise<unknown[]> {
  if (count === 0) return [];
  const replies = (await pipeline.exec()) ?? [];
  return Array.from({ length: count }, (_, i) => {
    const [error, value] = replies[i] ?? [new Error("no reply"), null];
    if (error) throw error;
    return value;
  });
}

function asText(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}
