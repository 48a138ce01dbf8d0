import { randomUUID } from "node:crypto";
import type { DeliveryLog } from "../delivery-log.js";
import type { AdminLogger } from "../deps.js";
import type { AdminStorage } from "../state/admin-storage.js";
import type { ReplayJob } from "../state/records.js";

export interface ReplayRequest {
  readonly owner: string;
  readonly endpointId: string;
  readonly from?: number;
  readonly before?: number;
  readonly status?: "delivered" | "dead";
  readonly createdBy: { readonly kind: string; readonly id: string };
}

export interface ReplayJobs {
  /** Stores the job and runs it in the background; resolves with its first state. */
  start(request: ReplayRequest): Promise<ReplayJob>;
  /** The job as stored (any instance may have run it); a running job not updated for a minute is "stalled". */
  get(id: string): Promise<(ReplayJob & { stalled: boolean }) | undefined>;
  list(limit: number): Promise<(ReplayJob & { stalled: boolean })[]>;
  /** Resolves when every job this instance runs has finished (tests, shutdown). */
  idle(): Promise<void>;
}

const BATCH = 200;
const STALLED_AFTER_MS = 60_000;

/**
 * Bulk replay in the background, in batches: one history page of the endpoint's range (newest first), its
 * settled deliveries queued again in the scheduler, the job's progress stored — so any instance can report it.
 * Replayed deliveries leave the history's lists, so the job keeps its cursor over a range that shrinks behind it.
 */
export function createReplayJobs(options: {
  log: DeliveryLog;
  storage: AdminStorage;
  now: () => number;
  logger?: AdminLogger;
}): ReplayJobs {
  const { log, storage, now } = options;
  const running = new Set<Promise<void>>();

  async function run(initial: ReplayJob): Promise<void> {
    let job = initial;
    try {
      let cursor: string | undefined;
      do {
        const page = await log.queryDeliveries({
          endpointIds: [job.endpointId],
          limit: BATCH,
          ...(job.status === undefined ? {} : { status: job.status }),
          ...(job.from === undefined ? {} : { from: job.from }),
          ...(job.before === undefined ? {} : { before: job.before }),
          ...(cursor === undefined ? {} : { cursor }),
        });
        const settled = page.deliveries
          .filter((d) => d.status === "delivered" || d.status === "dead")
          .map((d) => d.deliveryId);
        const replayed = settled.length === 0 ? 0 : (await log.replay(settled, now())).length;
        cursor = page.nextCursor;
        job = {
          ...job,
          scanned: job.scanned + page.deliveries.length,
          replayed: job.replayed + replayed,
          updatedAt: now(),
        };
        await storage.putJob(job);
      } while (cursor !== undefined);
      job = { ...job, state: "done", finishedAt: now(), updatedAt: now() };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      options.logger?.error({ jobId: job.id, err: message }, "replay job failed");
      job = { ...job, state: "failed", error: message, finishedAt: now(), updatedAt: now() };
    }
    await storage.putJob(job).catch(() => undefined);
  }

  const withStall = (job: ReplayJob) => ({
    ...job,
    stalled: job.state === "running" && now() - job.updatedAt > STALLED_AFTER_MS,
  });

  return {
    async start(request) {
      const at = now();
      const job: ReplayJob = {
        id: `rpl_${randomUUID()}`,
        ...request,
        state: "running",
        scanned: 0,
        replayed: 0,
        createdAt: at,
        updatedAt: at,
      };
      await storage.putJob(job);
      const task = run(job).finally(() => running.delete(task));
      running.add(task);
      return job;
    },
    async get(id) {
      const job = await storage.getJob(id);
      return job === undefined ? undefined : withStall(job);
    },
    async list(limit) {
      return (await storage.listJobs(limit)).map(withStall);
    },
    async idle() {
      while (running.size > 0) await Promise.allSettled([...running]);
    },
  };
}
