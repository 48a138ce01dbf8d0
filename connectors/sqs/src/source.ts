import { createHash } from "node:crypto";
import { setMaxListeners } from "node:events";
import { setTimeout as sleep } from "node:timers/promises";
import {
  ChangeMessageVisibilityCommand,
  type Message,
  ReceiveMessageCommand,
  type ReceiveMessageCommandInput,
  SQSClient,
} from "@aws-sdk/client-sqs";
import {
  backoffDelay,
  configError,
  createKeyLanes,
  type Deliver,
  HookyardError,
  isRetryable,
  type Source,
  type SourceContext,
  type SourceMessage,
} from "@hookyard/core";
import { decodeBody } from "./body-codec.js";
import { sqsClientOptions } from "./client.js";
import type { SqsSourceConfig } from "./config.js";
import { createDeleteBatcher, type DeleteBatcher } from "./delete-batcher.js";
import { translateSqsError } from "./errors.js";
import { type QueueInfo, resolveQueue } from "./queue.js";
import { createSlots } from "./slots.js";
import { toSourceMessage } from "./source-message.js";
import { MAX_VISIBILITY_S, validateSqsSource } from "./validate-config.js";
import { createVisibilityKeeper, type VisibilityKeeper } from "./visibility-keeper.js";

export interface SqsSourceOptions {
  /** A client to use instead of one made from the config; the caller keeps ownership and destroys it. */
  readonly client?: SQSClient;
}

const RECEIVE_ERROR_INITIAL_MS = 200;
const RECEIVE_ERROR_MAX_MS = 30_000;

type Phase = "idle" | "starting" | "running" | "stopping" | "stopped";
type ReceiveHandler = ReturnType<ReceiveMessageCommand["resolveMiddleware"]>;

/**
 * The message system attributes the source uses (retry backoff, FIFO group, envelope time). Asking for "All" makes
 * SQS send (and the SDK parse) several more per message.
 */
const SYSTEM_ATTRIBUTES: ReceiveMessageCommandInput["MessageSystemAttributeNames"] = [
  "ApproximateReceiveCount",
  "SentTimestamp",
  "MessageGroupId",
];

/**
 * An SQS source: `receivers` long polls, each waiting for a batch of free in-flight slots (`batchSize`, at most
 * 10) and asking for that many messages, so no more than `maxInFlight` messages are ever held. A message is deleted (batched) only after
 * `deliver` resolved; a retryable reject makes it visible again after a capped, jittered backoff; a poison message
 * is dead-lettered and deleted (or left to the queue's redrive policy). Visibility is extended while a delivery
 * runs. On FIFO queues the messages of one MessageGroupId are delivered one at a time, in order.
 */
export function createSqsSource(config: SqsSourceConfig, ctx: SourceContext, options: SqsSourceOptions = {}): Source {
  const log = ctx.logger;
  const slots = createSlots(config.maxInFlight);
  const lanes = createKeyLanes();
  /** Aborts open long polls (only when they outlast the stop timeout) and wakes backoff sleeps. */
  const aborter = new AbortController();
  const sleeps = new AbortController();
  const pending = new Set<Promise<void>>();
  /** FIFO groups with a message waiting for redelivery: messages of the group received up to `seq` wait too. */
  const blockedGroups = new Map<string, { readonly seq: number; readonly until: number }>();
  let phase: Phase = "idle";
  let client: SQSClient | undefined;
  let queue: QueueInfo | undefined;
  let deleter: DeleteBatcher | undefined;
  let keeper: VisibilityKeeper | undefined;
  let deliver: Deliver | undefined;
  let receive: ReceiveHandler | undefined;
  let receivers: Promise<void>[] = [];
  let receiveSeq = 0;
  let stopping: Promise<void> | undefined;

  const setVisibility = async (message: Message, seconds: number): Promise<void> => {
    try {
      await (client as SQSClient).send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: (queue as QueueInfo).url,
          ReceiptHandle: message.ReceiptHandle,
          VisibilityTimeout: Math.min(MAX_VISIBILITY_S, Math.max(0, Math.ceil(seconds))),
        }),
      );
    } catch (error) {
      // It becomes visible again when its current timeout ends anyway.
      log.warn(
        { err: translateSqsError(error, (queue as QueueInfo).url), messageId: message.MessageId },
        "sqs visibility change failed",
      );
    }
  };

  const retryDelaySeconds = (message: Message): number => {
    const receives = Number(message.Attributes?.ApproximateReceiveCount ?? "1");
    const attempt = Number.isFinite(receives) && receives > 0 ? receives : 1;
    return backoffDelay(attempt, config.retryBackoff.initial, config.retryBackoff.max) / 1000;
  };

  const receiveLoop = async (): Promise<void> => {
    let failures = 0;
    while (phase === "running") {
      const granted = await slots.acquire(config.batchSize);
      if (granted === 0) return;
      if (phase !== "running") {
        slots.release(granted);
        return;
      }
      let messages: Message[];
      try {
        const { output } = await (receive as ReceiveHandler)({
          input: {
            QueueUrl: (queue as QueueInfo).url,
            MaxNumberOfMessages: granted,
            WaitTimeSeconds: Math.round(config.waitTime / 1000),
            VisibilityTimeout: Math.max(1, Math.ceil(config.visibilityTimeout / 1000)),
            MessageAttributeNames: ["All"],
            MessageSystemAttributeNames: SYSTEM_ATTRIBUTES,
          },
        });
        messages = output.Messages ?? [];
        failures = 0;
      } catch (error) {
        slots.release(granted);
        if (phase !== "running") return;
        const delay = backoffDelay(++failures, RECEIVE_ERROR_INITIAL_MS, RECEIVE_ERROR_MAX_MS);
        log.error(
          { err: translateSqsError(error, `queue ${(queue as QueueInfo).url}`), retryInMs: delay },
          "sqs receive failed",
        );
        await sleep(delay, undefined, { signal: sleeps.signal }).catch(() => undefined);
        continue;
      }
      slots.release(granted - messages.length);
      const seq = ++receiveSeq;
      for (const message of messages) dispatch(message, seq);
    }
  };

  const dispatch = (message: Message, seq: number): void => {
    const handle = message.ReceiptHandle ?? "";
    keeper?.track(handle);
    const group = message.Attributes?.MessageGroupId;
    const run = async (): Promise<void> => {
      try {
        await processMessage(message, seq, group);
      } catch (error) {
        log.error({ err: error, messageId: message.MessageId }, "sqs message handling failed");
      } finally {
        keeper?.untrack(handle);
        slots.release(1);
      }
    };
    const task =
      group === undefined
        ? run()
        : lanes.run(group, run).then(() => {
            if (!lanes.has(group)) blockedGroups.delete(group);
          });
    pending.add(task);
    void task.finally(() => pending.delete(task));
  };

  const processMessage = async (message: Message, seq: number, group: string | undefined): Promise<void> => {
    // Stopping: give it back at once rather than holding it until its visibility times out.
    if (phase !== "running") return setVisibility(message, 0);
    const block = group === undefined ? undefined : blockedGroups.get(group);
    if (block !== undefined && seq <= block.seq) {
      // An earlier message of its group is waiting for redelivery: this one must come after it.
      return setVisibility(message, Math.max(1, (block.until - Date.now()) / 1000));
    }
    if (message.MD5OfBody !== undefined && md5Hex(message.Body ?? "") !== message.MD5OfBody) {
      // Corrupted on the way: receive it again rather than deliver it. (SQS always sends the digest; a compatible
      // server that sends none is trusted, as a missing digest cannot be told from a corrupted one anyway.)
      log.error(
        { messageId: message.MessageId, md5OfBody: message.MD5OfBody },
        "sqs message body does not match its MD5OfBody; it will be received again",
      );
      return retryLater(message, seq, group, retryDelaySeconds(message));
    }
    let sourceMessage: SourceMessage;
    try {
      sourceMessage = toSourceMessage(
        message,
        decodeBody(message.Body ?? "", config.bodyEncoding),
        ctx.sourceId,
        (queue as QueueInfo).name,
      );
    } catch (error) {
      const raw = new TextEncoder().encode(message.Body ?? "");
      return poison(message, toSourceMessage(message, raw, ctx.sourceId, (queue as QueueInfo).name), reasonOf(error));
    }
    if (sourceMessage.data.byteLength > config.maxMessageBytes) {
      return poison(
        message,
        sourceMessage,
        `message of ${sourceMessage.data.byteLength} bytes exceeds maxMessageBytes (${config.maxMessageBytes})`,
      );
    }
    let envelope: ReturnType<SourceContext["toEnvelope"]>;
    try {
      envelope = ctx.toEnvelope(sourceMessage);
    } catch (error) {
      return poison(message, sourceMessage, reasonOf(error));
    }
    try {
      await (deliver as Deliver)(envelope);
    } catch (error) {
      if (!isRetryable(error)) return poison(message, sourceMessage, reasonOf(error));
      const delay = retryDelaySeconds(message);
      log.warn(
        { err: error, messageId: message.MessageId, group, retryInS: delay },
        "sqs deliver failed; retrying after a backoff",
      );
      return retryLater(message, seq, group, delay);
    }
    (deleter as DeleteBatcher).delete(message.ReceiptHandle ?? "");
  };

  /** Visible again after `delay` seconds; on FIFO queues the later messages of its group already received wait too. */
  const retryLater = (message: Message, seq: number, group: string | undefined, delay: number): Promise<void> => {
    if (group !== undefined) blockedGroups.set(group, { seq, until: Date.now() + delay * 1000 });
    return setVisibility(message, delay);
  };

  const poison = async (message: Message, sourceMessage: SourceMessage, reason: string): Promise<void> => {
    if (config.poison === "redrive") {
      // Left on the queue: each receive counts towards its redrive policy's maxReceiveCount.
      log.warn({ messageId: message.MessageId, reason }, "sqs poison message left for the queue's redrive policy");
      return setVisibility(message, retryDelaySeconds(message));
    }
    try {
      await ctx.deadLetter(sourceMessage, reason);
    } catch (error) {
      log.error({ err: error, messageId: message.MessageId }, "sqs dead-letter failed; retrying after a backoff");
      return setVisibility(message, retryDelaySeconds(message));
    }
    log.warn({ messageId: message.MessageId, reason }, "sqs message dead-lettered");
    (deleter as DeleteBatcher).delete(message.ReceiptHandle ?? "");
  };

  const release = async (): Promise<void> => {
    keeper?.close();
    if (deleter !== undefined) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, config.stopTimeout);
      });
      await Promise.race([deleter.flush(), timeout]);
      clearTimeout(timer);
    }
    if (client !== undefined && options.client === undefined) client.destroy();
    client = undefined;
  };

  return {
    async start(handler) {
      if (phase !== "idle") throw new HookyardError("SOURCE_STATE", "sqs source was already started");
      validate(config);
      phase = "starting";
      // Long polls hold a request open for waitTime: the request timeout must allow for it. The SDK's own MD5 check
      // of received bodies is off: processMessage makes the same check, at half the CPU, and per message (the SDK
      // fails the whole ReceiveMessage, leaving all of its messages invisible for a visibility timeout).
      client = options.client ?? new SQSClient({ ...sqsClientOptions(config, config.waitTime), md5: false });
      try {
        queue = await resolveQueue(client, config);
        if (config.poison === "redrive" && !queue.hasRedrivePolicy) {
          throw configError(`sqs source: poison: redrive needs a redrive policy on queue ${queue.name}`);
        }
      } catch (error) {
        await release();
        if (phase === "starting") phase = "idle";
        throw error;
      }
      if (phase !== "starting") return;
      deliver = handler;
      // Every ReceiveMessage goes through one middleware stack resolved here with the abort signal for stop():
      // `client.send(command, { abortSignal })` would resolve the stack anew on every call (and drop the client's
      // cached ones). Each open long poll listens on the signal.
      setMaxListeners(4 * config.receivers + 10, aborter.signal);
      receive = new ReceiveMessageCommand({ QueueUrl: queue.url }).resolveMiddleware(
        client.middlewareStack,
        client.config,
        { abortSignal: aborter.signal },
      );
      deleter = createDeleteBatcher(client, queue.url, log);
      keeper = createVisibilityKeeper(client, queue.url, config.visibilityTimeout, log);
      phase = "running";
      receivers = Array.from({ length: config.receivers }, () => receiveLoop());
      log.info({ queue: queue.url, fifo: queue.fifo, maxInFlight: config.maxInFlight }, "sqs source started");
    },

    stop() {
      stopping ??= (async () => {
        phase = "stopping";
        slots.close();
        sleeps.abort();
        // Let open long polls answer rather than abort them: SQS would still hand the messages it finds to an
        // abandoned poll, hiding them for a visibility timeout. What they return is released at once.
        const deadline = setTimeout(() => aborter.abort(), Math.min(config.waitTime + 2000, config.stopTimeout));
        await Promise.allSettled(receivers);
        clearTimeout(deadline);
        while (pending.size > 0) await Promise.allSettled([...pending]);
        await release();
        phase = "stopped";
      })();
      return stopping;
    },
  };
}

function validate(config: SqsSourceConfig): void {
  const [problem] = validateSqsSource(config);
  if (problem) throw configError(`sqs source: ${problem.key}: expected ${problem.expected}, found ${problem.found}`);
}

function md5Hex(text: string): string {
  return createHash("md5").update(text, "utf8").digest("hex");
}

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
