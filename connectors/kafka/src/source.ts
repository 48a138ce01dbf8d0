import {
  backoffDelay,
  type Deliver,
  type Envelope,
  HookyardError,
  isRetryable,
  type Source,
  type SourceContext,
  type SourceMessage,
  sleep,
  withTimeout,
} from "@hookyard/core";
import type { Consumer, EachBatchPayload, Kafka } from "kafkajs";
import { createKafkaClient } from "./client.js";
import type { KafkaSourceConfig } from "./config.js";
import { createContiguousOffsets } from "./contiguous-offsets.js";
import { translateKafkaError } from "./errors.js";
import { createSlots } from "./slots.js";
import { toSourceMessage } from "./to-source-message.js";
import { ensureTopics } from "./topics.js";

/** Longest stop() waits for kafkajs to commit and leave the group (the broker may be down). */
const DISCONNECT_TIMEOUT_MS = 10_000;

type Prepared =
  | { readonly message: SourceMessage; readonly envelope: Envelope; readonly offset: string }
  | { readonly message: SourceMessage; readonly poison: string; readonly offset: string };

/**
 * A Kafka consumer-group source. Each partition batch is processed concurrently (bounded by `maxInFlight` across
 * partitions; one message at a time per envelope key), and only the highest contiguous completed offset is
 * resolved/committed, so an offset never passes an event that is not durable. A retryable deliver failure is
 * retried in place with capped, jittered backoff (the partition waits; other partitions go on); a poison message
 * is dead-lettered and committed. A consumer that crashes is restarted (by kafkajs when it says so, else here).
 */
export function createKafkaSource(config: KafkaSourceConfig, ctx: SourceContext): Source {
  const logger = ctx.logger;
  const source = `kafka:${ctx.sourceId}`;
  const slots = createSlots(config.maxInFlight);
  // Aborted when stop() begins: wakes slot waits and backoffs; in-flight delivers still finish.
  const stopController = new AbortController();
  const activeBatches = new Set<Promise<void>>();
  let state: "idle" | "starting" | "running" | "stopping" | "stopped" = "idle";
  let deliver: Deliver | undefined;
  let consumer: Consumer | undefined;
  let restartTimer: NodeJS.Timeout | undefined;
  let restartAttempt = 0;
  let stopped: Promise<void> | undefined;
  let starting: Promise<void> | undefined;

  const onContextAbort = () => stopController.abort();
  ctx.signal.addEventListener("abort", onContextAbort, { once: true });

  async function startConsumer(client: Kafka, first: boolean): Promise<void> {
    const next = client.consumer({
      groupId: config.groupId,
      sessionTimeout: config.sessionTimeout,
      heartbeatInterval: config.heartbeatInterval,
      maxWaitTimeInMs: config.fetchMaxWait,
      allowAutoTopicCreation: false,
      retry: { initialRetryTime: config.restartBackoff.initial, maxRetryTime: config.restartBackoff.max },
    });
    consumer = next;
    let settleJoin: ((error?: unknown) => void) | undefined;
    const joined = new Promise<void>((resolve, reject) => {
      settleJoin = (error) => (error === undefined ? resolve() : reject(error));
    });
    // Only the first start awaits the join; a crash of a restarted consumer must not be an unhandled rejection.
    joined.catch(() => undefined);
    next.on(next.events.GROUP_JOIN, (event) => {
      restartAttempt = 0;
      logger.info(
        { groupId: config.groupId, memberId: event.payload.memberId, assignment: event.payload.memberAssignment },
        "kafka consumer joined its group",
      );
      settleJoin?.();
    });
    next.on(next.events.CRASH, (event) => {
      const { error, restart } = event.payload;
      const translated = translateKafkaError(error, `kafka source ${ctx.sourceId}`);
      logger.error({ err: translated, restart, groupId: config.groupId }, "kafka consumer crashed");
      if (restart) return; // kafkajs restarts it after its own backoff
      settleJoin?.(translated);
      if (next === consumer && state === "running") scheduleRestart(client);
    });
    try {
      await next.connect();
      await next.subscribe({ topics: config.topics, fromBeginning: config.fromBeginning });
      await next.run({
        autoCommit: true,
        autoCommitInterval: config.commitInterval,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: config.partitionsConsumedConcurrently,
        eachBatch: (payload) => handleBatch(payload),
      });
      // start() resolves once the group is joined (consuming has begun), or rejects when stop() comes first.
      if (first) await Promise.race([joined, aborted(stopController.signal)]);
    } catch (error) {
      await next.disconnect().catch(() => undefined);
      throw translateKafkaError(error, `kafka source ${ctx.sourceId}`);
    } finally {
      settleJoin = undefined;
    }
  }

  function scheduleRestart(client: Kafka): void {
    restartAttempt += 1;
    const wait = backoffDelay(restartAttempt, config.restartBackoff.initial, config.restartBackoff.max);
    logger.warn({ attempt: restartAttempt, waitMs: wait }, "restarting kafka consumer");
    clearTimeout(restartTimer);
    restartTimer = setTimeout(async () => {
      const old = consumer;
      await old?.disconnect().catch(() => undefined);
      if (state !== "running") return;
      try {
        await startConsumer(client, false);
      } catch (error) {
        logger.error({ err: error, attempt: restartAttempt }, "kafka consumer restart failed");
        if (state === "running") scheduleRestart(client);
      }
    }, wait);
  }

  async function handleBatch(payload: EachBatchPayload): Promise<void> {
    // A batch that arrives while stopping is left unresolved: it is fetched again by whoever consumes next.
    if (state !== "running" || stopController.signal.aborted || deliver === undefined) return;
    if (payload.batch.messages.length === 0) return;
    const work = processBatch(payload, deliver);
    const tracked = work.catch(() => undefined);
    activeBatches.add(tracked);
    try {
      await work;
    } finally {
      activeBatches.delete(tracked);
    }
  }

  async function processBatch(payload: EachBatchPayload, to: Deliver): Promise<void> {
    const { batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, uncommittedOffsets, isRunning, isStale } =
      payload;
    const at = { groupId: config.groupId, topic: batch.topic, partition: batch.partition };
    // Aborted on stop or when the partition is being taken away (rebalance): no new message starts.
    const batchController = new AbortController();
    const abortBatch = () => batchController.abort();
    stopController.signal.addEventListener("abort", abortBatch, { once: true });
    let rebalanceError: unknown;
    const heartbeats = setInterval(() => {
      heartbeat().catch((error: unknown) => {
        if (isRebalance(error)) {
          rebalanceError ??= error;
          batchController.abort();
        } else {
          logger.debug({ err: error, ...at }, "kafka heartbeat failed");
        }
      });
    }, config.heartbeatInterval);

    const offsets = createContiguousOffsets(batch.messages.map((message) => message.offset));
    // Commits are batched: every commitInterval, the resolved (contiguous) offsets not yet committed; kafkajs also
    // commits them at the end of every batch.
    let committing = false;
    let dirty = false;
    const commits = setInterval(() => {
      if (committing || !dirty) return;
      committing = true;
      dirty = false;
      commitOffsetsIfNecessary(uncommittedOffsets())
        .catch((error: unknown) => {
          dirty = true;
          logger.warn({ err: error, ...at }, "kafka offset commit failed");
        })
        .finally(() => {
          committing = false;
        });
    }, config.commitInterval);
    const markDone = (index: number) => {
      const offset = offsets.complete(index);
      if (offset === undefined) return;
      resolveOffset(offset);
      dirty = true;
    };

    const keyTails = new Map<string, Promise<void>>();
    const running: Promise<void>[] = [];
    try {
      for (const [index, raw] of batch.messages.entries()) {
        if (batchController.signal.aborted || !isRunning() || isStale()) break;
        const prepared = prepare(raw, at);
        const key = "envelope" in prepared ? prepared.envelope.key : undefined;
        const previous = key === undefined ? undefined : keyTails.get(key);
        let run: Promise<void>;
        if (previous === undefined) {
          if (!(await slots.acquire(batchController.signal))) break;
          run = settle(prepared, index, to, batchController.signal, markDone);
        } else {
          // Same key as an earlier message still in flight: wait for it, so the key's order holds.
          run = previous.then(async () => {
            if (!(await slots.acquire(batchController.signal))) return;
            await settle(prepared, index, to, batchController.signal, markDone);
          });
        }
        if (key !== undefined) keyTails.set(key, run);
        running.push(run);
      }
      await Promise.all(running);
    } finally {
      clearInterval(heartbeats);
      clearInterval(commits);
      stopController.signal.removeEventListener("abort", abortBatch);
    }
    if (offsets.prefix < batch.messages.length && !stopController.signal.aborted) {
      logger.info({ ...at, done: offsets.prefix, of: batch.messages.length }, "kafka batch given up before its end");
    }
    // kafkajs re-joins the group when eachBatch throws a rebalance error; the unresolved rest is fetched again.
    if (rebalanceError !== undefined) throw rebalanceError;
  }

  function prepare(raw: Parameters<typeof toSourceMessage>[0], at: Parameters<typeof toSourceMessage>[1]): Prepared {
    const message = toSourceMessage(raw, at, source);
    if (message.data.byteLength > config.maxMessageBytes) {
      return {
        message,
        offset: raw.offset,
        poison: `message of ${message.data.byteLength} bytes is over maxMessageBytes (${config.maxMessageBytes})`,
      };
    }
    try {
      return { message, offset: raw.offset, envelope: ctx.toEnvelope(message) };
    } catch (error) {
      return { message, offset: raw.offset, poison: reasonOf(error) };
    }
  }

  /** Delivers (or dead-letters) one message, holding its slot; marks it done only when that is durable. */
  async function settle(
    prepared: Prepared,
    index: number,
    to: Deliver,
    signal: AbortSignal,
    markDone: (index: number) => void,
  ): Promise<void> {
    try {
      const done =
        "envelope" in prepared
          ? await deliverInPlace(prepared, to, signal)
          : await deadLetterInPlace(prepared.message, prepared.poison, signal, prepared.offset);
      if (done) markDone(index);
    } catch (error) {
      logger.error({ err: error, offset: prepared.offset }, "kafka message handling failed unexpectedly");
    } finally {
      slots.release();
    }
  }

  async function deliverInPlace(
    prepared: { message: SourceMessage; envelope: Envelope; offset: string },
    to: Deliver,
    signal: AbortSignal,
  ): Promise<boolean> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        await to(prepared.envelope);
        return true;
      } catch (error) {
        if (!isRetryable(error)) {
          return deadLetterInPlace(prepared.message, reasonOf(error), signal, prepared.offset);
        }
        if (signal.aborted) return false;
        const wait = backoffDelay(attempt, config.retryBackoff.initial, config.retryBackoff.max);
        logger.warn({ err: error, offset: prepared.offset, attempt, waitMs: wait }, "kafka delivery failed, retrying");
        if (!(await sleep(wait, signal))) return false;
      }
    }
  }

  async function deadLetterInPlace(
    message: SourceMessage,
    reason: string,
    signal: AbortSignal,
    offset: string,
  ): Promise<boolean> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        await ctx.deadLetter(message, reason);
        logger.warn({ offset, reason }, "kafka message dead-lettered");
        return true;
      } catch (error) {
        if (signal.aborted) return false;
        const wait = backoffDelay(attempt, config.retryBackoff.initial, config.retryBackoff.max);
        logger.warn({ err: error, offset, attempt, waitMs: wait }, "kafka dead-letter failed, retrying");
        if (!(await sleep(wait, signal))) return false;
      }
    }
  }

  return {
    async start(to) {
      if (state !== "idle") throw new HookyardError("SOURCE_STATE", `kafka source ${ctx.sourceId} was already started`);
      state = "starting";
      deliver = to;
      const client = createKafkaClient(config, logger);
      starting = (async () => {
        await ensureTopics(client, config, `kafka source ${ctx.sourceId}`);
        if (state !== "starting") throw stoppedDuringStart(ctx.sourceId);
        state = "running";
        await startConsumer(client, true);
      })();
      try {
        await starting;
      } catch (error) {
        // stop() may have run meanwhile (TypeScript narrows `state` across the await, hence the cast).
        if ((state as string) !== "stopping") state = "stopped";
        throw error;
      }
    },

    stop() {
      stopped ??= (async () => {
        const wasStarted = state !== "idle";
        state = "stopping";
        stopController.abort();
        clearTimeout(restartTimer);
        // A start() in progress finishes (or fails) first, so its consumer is the one disconnected below.
        await starting?.catch(() => undefined);
        ctx.signal.removeEventListener("abort", onContextAbort);
        while (activeBatches.size > 0) await Promise.allSettled([...activeBatches]);
        const last = consumer;
        consumer = undefined;
        if (wasStarted && last !== undefined) {
          // kafkajs commits the resolved offsets at the end of each batch and leaves the group here.
          await withTimeout(
            last.disconnect(),
            DISCONNECT_TIMEOUT_MS,
            () => new Error("kafka disconnect timed out"),
          ).catch((error: unknown) => logger.warn({ err: error }, "kafka consumer did not disconnect cleanly"));
        }
        state = "stopped";
      })();
      return stopped;
    },
  };
}

function aborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    const fail = () => reject(new HookyardError("SOURCE_STOPPED", "the source was stopped while starting"));
    if (signal.aborted) fail();
    else signal.addEventListener("abort", fail, { once: true });
  });
}

function stoppedDuringStart(sourceId: string): HookyardError {
  return new HookyardError("SOURCE_STOPPED", `kafka source ${sourceId} was stopped while starting`);
}

function isRebalance(error: unknown): boolean {
  const type = (error as { type?: string } | null)?.type;
  return (
    type === "REBALANCE_IN_PROGRESS" ||
    type === "NOT_COORDINATOR_FOR_GROUP" ||
    type === "ILLEGAL_GENERATION" ||
    type === "UNKNOWN_MEMBER_ID"
  );
}

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
