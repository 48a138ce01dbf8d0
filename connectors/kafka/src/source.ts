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
import {
  createKafkaAdmin,
  createKafkaConsumer,
  type KafkaGroupConsumer,
  type KafkaIncomingMessage,
  type KafkaMessageStream,
} from "./client.js";
import type { KafkaSourceConfig } from "./config.js";
import { type ContiguousOffsets, createContiguousOffsets } from "./contiguous-offsets.js";
import { kafkaErrorIds, translateKafkaError } from "./errors.js";
import { toSourceMessage } from "./to-source-message.js";
import { ensureTopics } from "./topics.js";

/** Longest stop() waits for the last commit and for leaving the group (the broker may be down). */
const DISCONNECT_TIMEOUT_MS = 10_000;
/**
 * Done messages waiting behind one that is not (e.g. retried in place) are remembered until it is; past this many
 * per in-flight slot, fetching pauses so a stuck message cannot grow the list without bound.
 */
const UNCOMMITTED_PER_SLOT = 16;
const REJOIN_IDS = ["REBALANCE_IN_PROGRESS", "ILLEGAL_GENERATION", "UNKNOWN_MEMBER_ID", "NOT_COORDINATOR"];

interface Commit {
  readonly topic: string;
  readonly partition: number;
  /** Commits the offset after this message (the driver's `message.commit`). */
  readonly send: () => unknown;
}

type Prepared =
  | { readonly message: SourceMessage; readonly envelope: Envelope; readonly offset: bigint }
  | { readonly message: SourceMessage; readonly poison: string; readonly offset: bigint };

/** One incarnation of the group consumer; a crash replaces it with a new one. */
interface Member {
  readonly consumer: KafkaGroupConsumer;
  stream: KafkaMessageStream | undefined;
  /** Aborted when the member is torn down (crash, stop): retries and backoffs stop. */
  readonly closing: AbortController;
  /** Per `topic:partition`, the messages of the current fetch sequence not yet committable. */
  readonly partitions: Map<string, ContiguousOffsets<Commit>>;
  /** Per `topic:partition`, the commit of the newest done prefix not yet sent (sent every commitInterval). */
  readonly toCommit: Map<string, Commit>;
  uncommitted: number;
  /** Reading stopped at a bound (not for want of messages): a settling message resumes it. */
  blocked: boolean;
  commitTimer: NodeJS.Timeout | undefined;
}

/**
 * A Kafka consumer-group source. Messages of all assigned partitions are delivered concurrently (at most
 * `maxInFlight` at once; one at a time per envelope key) and, per partition, only the highest contiguous completed
 * offset is committed, so an offset never passes an event that is not durable. A retryable deliver failure is
 * retried in place with capped, jittered backoff; a poison message is dead-lettered and committed. On a rebalance
 * the stream goes back to the committed offsets (what is redelivered carries the same dedup key) and messages in
 * flight finish; a consumer that crashes is replaced after a backoff.
 */
export function createKafkaSource(config: KafkaSourceConfig, ctx: SourceContext): Source {
  const logger = ctx.logger;
  const source = `kafka:${ctx.sourceId}`;
  const maxUncommitted = config.maxInFlight * UNCOMMITTED_PER_SLOT;
  const stopController = new AbortController();
  const work = new Set<Promise<void>>();
  const keyTails = new Map<string, Promise<void>>();
  let state: "idle" | "starting" | "running" | "stopping" | "stopped" = "idle";
  let deliver: Deliver | undefined;
  let member: Member | undefined;
  let inFlight = 0;
  let restartTimer: NodeJS.Timeout | undefined;
  let restartAttempt = 0;
  let stopped: Promise<void> | undefined;
  let starting: Promise<void> | undefined;

  const onContextAbort = () => stopController.abort();
  ctx.signal.addEventListener("abort", onContextAbort, { once: true });

  async function startMember(): Promise<void> {
    const consumer = createKafkaConsumer(config, logger);
    const next: Member = {
      consumer,
      stream: undefined,
      closing: new AbortController(),
      partitions: new Map(),
      toCommit: new Map(),
      uncommitted: 0,
      blocked: false,
      commitTimer: undefined,
    };
    member = next;
    // A rejoin changes nothing here: what is in flight finishes (a revoked partition's messages too: their new owner
    // may deliver them again, with the same dedup key), and a partition the stream rewinds to its committed offset
    // starts a new fetch sequence in admit().
    consumer.onJoin((join) => {
      restartAttempt = 0;
      logger.info({ groupId: config.groupId, ...join }, "kafka consumer joined its group");
    });
    consumer.onError((error) => crashed(next, error));
    try {
      const stream = await Promise.race([consumer.consume(), aborted(stopController.signal)]);
      next.stream = stream;
      // Paused mode: messages are read only while there is room, so the stream's buffer (highWaterMark) is the
      // back-pressure on fetching, with no pause/resume churn.
      stream.on("readable", () => pull(next));
      stream.on("error", (error: unknown) => crashed(next, error));
      next.commitTimer = setInterval(() => void flushCommits(next), config.commitInterval);
    } catch (error) {
      await closeMember(next);
      throw translateKafkaError(error, `kafka source ${ctx.sourceId}`);
    }
  }

  function crashed(which: Member, error: unknown): void {
    if (which !== member || state !== "running") return;
    const translated = translateKafkaError(error, `kafka source ${ctx.sourceId}`);
    const rejoin = REJOIN_IDS.some((id) => kafkaErrorIds(error).has(id));
    // Losing the membership in a rebalance is routine; anything else is worth an operator's attention.
    if (rejoin) logger.info({ err: translated, groupId: config.groupId }, "kafka consumer left its group, rejoining");
    else logger.error({ err: translated, groupId: config.groupId }, "kafka consumer crashed");
    member = undefined;
    void closeMember(which);
    scheduleRestart(rejoin ? 0 : undefined);
  }

  function scheduleRestart(waitMs?: number): void {
    restartAttempt += 1;
    const wait = waitMs ?? backoffDelay(restartAttempt, config.restartBackoff.initial, config.restartBackoff.max);
    if (waitMs === undefined) logger.warn({ attempt: restartAttempt, waitMs: wait }, "restarting kafka consumer");
    clearTimeout(restartTimer);
    restartTimer = setTimeout(async () => {
      if (state !== "running") return;
      try {
        await startMember();
      } catch (error) {
        logger.error({ err: error, attempt: restartAttempt }, "kafka consumer restart failed");
        if (state === "running") scheduleRestart();
      }
    }, wait);
  }

  /** Reads fetched messages while the bounds allow; the next 'readable' (or a settling message) reads on. */
  function pull(from: Member): void {
    const stream = from.stream;
    if (stream === undefined || deliver === undefined) return;
    while (state === "running" && from === member) {
      if (inFlight >= config.maxInFlight || from.uncommitted >= maxUncommitted) {
        if (!from.blocked) logger.debug({ inFlight, uncommitted: from.uncommitted }, "kafka source at its bounds");
        from.blocked = true;
        return;
      }
      const message = stream.read() as KafkaIncomingMessage | null;
      if (message === null) break;
      admit(from, message, deliver);
    }
    from.blocked = false;
  }

  /**
   * Takes one fetched message in: tracks its offset and starts its delivery. Nothing fetched is ever dropped: the
   * driver does not always fetch a dropped record again (a partition without a committed offset keeps its position
   * across a rejoin), and a record delivered twice is de-duplicated by its coordinates.
   */
  function admit(into: Member, message: KafkaIncomingMessage, to: Deliver): void {
    const partitionKey = `${message.topic}:${message.partition}`;
    let offsets = into.partitions.get(partitionKey);
    if (offsets === undefined || message.offset <= offsets.last) {
      // A new fetch sequence (first message, or the stream went back to the committed offset after a rejoin): it
      // commits alone; the old sequence's messages still finish, and every offset below the new one is committed.
      into.uncommitted -= offsets?.pending ?? 0;
      offsets = createContiguousOffsets<Commit>();
      into.partitions.set(partitionKey, offsets);
    }
    offsets.add(message.offset);
    into.uncommitted += 1;
    inFlight += 1;
    const run = handle(into, offsets, partitionKey, message, to);
    work.add(run);
    void run.finally(() => {
      work.delete(run);
      inFlight -= 1;
      if (member?.blocked) pull(member);
    });
  }

  /** Delivers one message after the previous one with the same key; marks it done only when that is durable. */
  function handle(
    from: Member,
    offsets: ContiguousOffsets<Commit>,
    partitionKey: string,
    message: KafkaIncomingMessage,
    to: Deliver,
  ): Promise<void> {
    const prepared = prepare(message);
    const signal = from.closing.signal;
    const markDone = () => {
      if (from.partitions.get(partitionKey) !== offsets) return; // a newer fetch sequence commits for itself
      const before = offsets.pending;
      const commit = offsets.complete(message.offset, {
        topic: message.topic,
        partition: message.partition,
        send: message.commit,
      });
      from.uncommitted -= before - offsets.pending;
      if (commit !== undefined) from.toCommit.set(partitionKey, commit);
    };
    const key = "envelope" in prepared ? prepared.envelope.key : undefined;
    const previous = key === undefined ? undefined : keyTails.get(key);
    const run =
      previous === undefined
        ? settle(prepared, to, signal, markDone)
        : previous.then(() => settle(prepared, to, signal, markDone));
    if (key !== undefined) {
      keyTails.set(key, run);
      void run.finally(() => {
        if (keyTails.get(key) === run) keyTails.delete(key);
      });
    }
    return run;
  }

  function prepare(raw: KafkaIncomingMessage): Prepared {
    const message = toSourceMessage(raw, config.groupId, source);
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

  /** Delivers (or dead-letters) one message; marks it done only when that is durable. */
  async function settle(prepared: Prepared, to: Deliver, signal: AbortSignal, markDone: () => void): Promise<void> {
    if (signal.aborted) return;
    try {
      const done =
        "envelope" in prepared
          ? await deliverInPlace(prepared, to, signal)
          : await deadLetterInPlace(prepared.message, prepared.poison, signal, prepared.offset);
      if (done) markDone();
    } catch (error) {
      logger.error({ err: error, offset: String(prepared.offset) }, "kafka message handling failed unexpectedly");
    }
  }

  async function deliverInPlace(
    prepared: { message: SourceMessage; envelope: Envelope; offset: bigint },
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
        const offset = String(prepared.offset);
        logger.warn({ err: error, offset, attempt, waitMs: wait }, "kafka delivery failed, retrying");
        if (!(await sleep(wait, signal))) return false;
      }
    }
  }

  async function deadLetterInPlace(
    message: SourceMessage,
    reason: string,
    signal: AbortSignal,
    offset: bigint,
  ): Promise<boolean> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        await ctx.deadLetter(message, reason);
        logger.warn({ offset: String(offset), reason }, "kafka message dead-lettered");
        return true;
      } catch (error) {
        if (signal.aborted) return false;
        const wait = backoffDelay(attempt, config.retryBackoff.initial, config.retryBackoff.max);
        logger.warn(
          { err: error, offset: String(offset), attempt, waitMs: wait },
          "kafka dead-letter failed, retrying",
        );
        if (!(await sleep(wait, signal))) return false;
      }
    }
  }

  /** Sends the newest done prefix of each partition (the driver coalesces commits and keeps them monotonic). */
  async function flushCommits(from: Member): Promise<void> {
    if (from.toCommit.size === 0) return;
    // A partition revoked in a rebalance is not committed here any more: its new owner commits it.
    const commits = [...from.toCommit.values()].filter((c) => from.consumer.isAssigned(c.topic, c.partition));
    from.toCommit.clear();
    await Promise.all(
      commits.map(async (commit) => {
        try {
          await commit.send();
        } catch (error) {
          const rejoin = REJOIN_IDS.some((id) => kafkaErrorIds(error).has(id));
          if (rejoin) logger.debug({ err: error }, "kafka offset commit refused during a rebalance");
          else logger.warn({ err: translateKafkaError(error, "kafka offset commit") }, "kafka offset commit failed");
        }
      }),
    );
  }

  /** Stops fetching, commits what is done, closes the stream and leaves the group (bounded in time). */
  async function closeMember(which: Member): Promise<void> {
    clearInterval(which.commitTimer);
    which.stream?.pause();
    which.closing.abort();
    const closing = (async () => {
      await flushCommits(which);
      await which.stream?.close();
      await which.consumer.close();
    })();
    await withTimeout(closing, DISCONNECT_TIMEOUT_MS, () => new Error("kafka disconnect timed out")).catch(
      (error: unknown) => logger.warn({ err: error }, "kafka consumer did not disconnect cleanly"),
    );
  }

  return {
    async start(to) {
      if (state !== "idle") throw new HookyardError("SOURCE_STATE", `kafka source ${ctx.sourceId} was already started`);
      state = "starting";
      deliver = to;
      starting = (async () => {
        await ensureTopics(createKafkaAdmin(config, logger), config, `kafka source ${ctx.sourceId}`);
        if (state !== "starting") throw stoppedDuringStart(ctx.sourceId);
        state = "running";
        await startMember();
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
        state = "stopping";
        stopController.abort();
        clearTimeout(restartTimer);
        // A start() in progress finishes (or fails) first, so its consumer is the one closed below.
        await starting?.catch(() => undefined);
        ctx.signal.removeEventListener("abort", onContextAbort);
        const last = member;
        member = undefined;
        last?.stream?.pause();
        last?.closing.abort();
        // In-flight deliveries finish (their retries stop); what they made durable is committed below.
        while (work.size > 0) await Promise.allSettled([...work]);
        if (last !== undefined) await closeMember(last);
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

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
