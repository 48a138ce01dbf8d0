import { Redis } from "ioredis";

/** The scheduler's history outbox as a failure report needs it: what waits, what a drainer holds, what was shed, and
 * how many deliveries have not settled yet. */
export interface OutboxState {
  readonly records: number;
  /** Taken by a drainer and not yet acknowledged, per drainer. */
  readonly pending: Record<string, number>;
  readonly shed: number;
  /** Deliveries not settled yet (still queued or leased): what the history cannot have yet. */
  readonly live: number;
}

/** Reads the outbox of a Hookyard run with this `redis.prefix` on a standalone Redis (see scheduler keys.ts). */
export async function readOutboxState(redisUrl: string, prefix: string, endpointId: string): Promise<OutboxState> {
  const redis = new Redis(redisUrl);
  try {
    const outbox = `{${prefix}}:outbox`;
    const records = await redis.xlen(outbox);
    const summary = (await redis.xpending(outbox, "history").catch(() => [0, null, null, null])) as [
      number,
      string | null,
      string | null,
      [string, string][] | null,
    ];
    const pending = Object.fromEntries((summary[3] ?? []).map(([consumer, n]) => [consumer, Number(n)]));
    const shed = Number((await redis.hget(`${outbox}:counts`, "shed")) ?? 0);
    const [queued, leased] = await Promise.all([
      redis.zcard(`{${prefix}}:queue:${endpointId}`),
      redis.zcard(`{${prefix}}:leases`),
    ]);
    return { records, pending, shed, live: queued + leased };
  } finally {
    redis.disconnect();
  }
}
