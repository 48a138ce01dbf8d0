import type { PubSub, Topic } from "@google-cloud/pubsub";
import {
  type BatchItem,
  batchItems,
  type Context,
  type Envelope,
  type FailedSinkItem,
  failedSinkItem,
  HookyardError,
  messageTooLarge,
  payloadAndHeadersSize,
  publishInBatches,
  type Sink,
  type SinkLimits,
  sinkPartialFailure,
  withTimeout,
} from "@hookyard/core";
import { ensureTopic } from "./admin.js";
import { createPubSubClient } from "./client.js";
import { cloudEventAttributes } from "./cloudevents-attributes.js";
import type { PubSubSinkConfig } from "./config.js";
import { isOverdue, publishCallOptions, publishWithin } from "./deadline.js";
import { translatePubSubError } from "./errors.js";

export interface PubSubSinkOptions {
  /** A client to use instead of one made from the config; the caller keeps ownership and closes it. */
  readonly client?: PubSub;
}

/** The client library's own caps on one Publish request. */
const CLIENT_MAX_REQUEST_BYTES = 9 * 1024 * 1024;
const CLIENT_MAX_REQUEST_MESSAGES = 1000;
/** Room for a request's framing under the broker's byte limit. */
const REQUEST_FRAMING = 64 * 1024;

/**
 * A Pub/Sub sink: each envelope is one message (payload bytes as data, CloudEvents binary-mode attributes plus
 * the envelope's headers), published with the envelope's key as ordering key. The client library groups messages
 * into Publish requests under `batching` (capped at its own 9 MiB and 1,000 messages). `send` resolves only when
 * Pub/Sub answered every publish; failures are reported per item, and a failed ordering key is resumed so later
 * sends of that key are not refused.
 *
 * Size: an event over maxMessageBytes (data + attributes + ordering key, as Pub/Sub counts) fails for good without
 * being sent. When Pub/Sub refuses a request for its size it says its limit ("exceeds the limit: N bytes", or the
 * gRPC receive limit of an emulator): the sink learns it, makes its requests smaller and sends the refused events
 * again; only an event over that limit on its own fails for good, naming its size and the limit.
 */
export function createPubSubSink(config: PubSubSinkConfig, ctx: Context, options: PubSubSinkOptions = {}): Sink {
  const log = ctx.logger;
  let client: PubSub | undefined;
  let topic: Topic | undefined;
  let ready: Promise<void> | undefined;
  let stopping: Promise<void> | undefined;
  /** The request size Pub/Sub said it accepts, once it refused one. */
  let brokerRequestBytes: number | undefined;

  const limits = (): SinkLimits => {
    const brokerCap =
      brokerRequestBytes === undefined ? Number.POSITIVE_INFINITY : brokerRequestBytes - REQUEST_FRAMING;
    return {
      maxMessageBytes: Math.min(config.maxMessageBytes, brokerCap),
      maxBatchMessages: Math.min(config.batching.maxMessages, CLIENT_MAX_REQUEST_MESSAGES),
      maxBatchBytes: Math.min(config.batching.maxBytes, CLIENT_MAX_REQUEST_BYTES, brokerCap),
    };
  };
  const limitName = () =>
    brokerRequestBytes !== undefined && brokerRequestBytes - REQUEST_FRAMING < config.maxMessageBytes
      ? "Pub/Sub request limit (less framing)"
      : "maxMessageBytes";

  /** The topic handle; made again with smaller batching once Pub/Sub said its limit. */
  const open = (): Topic => {
    client ??= options.client ?? createPubSubClient(config);
    topic ??= client.topic(config.topic, {
      messageOrdering: config.messageOrdering,
      batching: {
        maxMessages: config.batching.maxMessages,
        maxMilliseconds: config.batching.maxDelay,
        maxBytes: limits().maxBatchBytes,
      },
      gaxOpts: publishCallOptions(config.publishTimeout),
    });
    return topic;
  };

  const prepare = async (): Promise<void> => {
    if (!config.create) return;
    ready ??= ensureTopic(client as PubSub, config.topic, config.publishTimeout).catch((error: unknown) => {
      ready = undefined; // try again at the next send
      throw error;
    });
    await ready;
  };

  const sizing: Sizing = { limits, limitName, learn: (limit) => learn(limit) };
  const publishAll = (items: readonly BatchItem[]) => publishRound(open(), items, config, sizing);

  const learn = (limit: number): void => {
    if (brokerRequestBytes !== undefined && brokerRequestBytes <= limit) return;
    brokerRequestBytes = limit;
    log.warn(
      { limitBytes: limit, topic: config.topic },
      "pubsub refused a request for its size; requests made smaller",
    );
    const previous = topic;
    topic = undefined; // the next open() batches under the new limit
    previous?.flush().catch(() => undefined);
  };

  return {
    async send(batch) {
      if (stopping !== undefined) throw new HookyardError("SINK_STOPPED", "pubsub sink is stopped");
      if (batch.length === 0) return;
      const target = open();
      await prepare();
      let requests = 0;
      const failures = await publishInBatches(batchItems(batch, sizeOf), {
        where: `pubsub topic ${target.name}`,
        limits: limits(),
        limitName: limitName(),
        async publish(items) {
          // A request refused for its size taught the limit: its events go again, in requests under it.
          let round = await publishAll(items);
          const failed = [...round.failed];
          while (round.resend.length > 0 && requests++ < MAX_RESENDS) {
            round = await publishAll(round.resend);
            failed.push(...round.failed);
          }
          for (const item of round.resend) {
            failed.push(failedSinkItem(item.index, item.envelope.id, resendFailure(item)));
          }
          return failed;
        },
        isTooLarge: () => false,
        translate: (error) => translatePubSubError(error, `topic ${target.name}`),
      });
      if (failures.length > 0) {
        const error = sinkPartialFailure(`pubsub topic ${target.name}`, batch.length, failures);
        log.warn({ failed: failures.length, total: batch.length, topic: target.name }, "pubsub publish failed");
        throw error;
      }
    },

    limits,
    sizeOf,

    stop() {
      stopping ??= (async () => {
        try {
          // A publish the client is still retrying past its deadline must not hold stop() up.
          if (topic !== undefined) {
            await withTimeout(topic.flush(), publishDeadline(config), () => new Error("flush did not finish in time"));
          }
        } catch (error) {
          log.warn({ err: error }, "pubsub flush on stop failed");
        }
        if (client !== undefined && options.client === undefined) {
          try {
            await client.close();
          } catch (error) {
            log.warn({ err: error }, "pubsub client close failed");
          }
        }
      })();
      return stopping;
    },
  };
}

/** What a publish round needs to know about the sink's (learned) limits. */
interface Sizing {
  limits(): SinkLimits;
  limitName(): string;
  learn(requestBytes: number): void;
}

/**
 * Publishes `items` through the client library; the failed ones come back, and those refused only for their
 * request's size (each alone under the learned limit) as `resend`.
 */
async function publishRound(
  target: Topic,
  items: readonly BatchItem[],
  config: PubSubSinkConfig,
  sizing: Sizing,
): Promise<{ failed: FailedSinkItem[]; resend: BatchItem[] }> {
  const results = await Promise.allSettled(items.map((item) => publishOne(target, item.envelope, config)));
  const failed: FailedSinkItem[] = [];
  const resend: BatchItem[] = [];
  const keysToResume = new Set<string>();
  for (const [i, result] of results.entries()) {
    const item = items[i];
    if (item === undefined || result.status === "fulfilled") continue;
    const key = item.envelope.key;
    // An overdue publish is still running: publishWithin resumes its key if it fails in the end.
    if (config.messageOrdering && key !== undefined && key !== "" && !isOverdue(result.reason)) keysToResume.add(key);
    const refusal = requestSizeRefusal(result.reason);
    if (refusal !== undefined) sizing.learn(refusal);
    if (refusal !== undefined && item.size <= sizing.limits().maxMessageBytes) {
      resend.push(item);
      continue;
    }
    const error =
      refusal === undefined
        ? translatePubSubError(result.reason, `topic ${target.name}`)
        : messageTooLarge(
            `pubsub topic ${target.name}`,
            { id: item.envelope.id, size: item.size },
            { bytes: sizing.limits().maxMessageBytes, name: sizing.limitName() },
          );
    failed.push(failedSinkItem(item.index, item.envelope.id, error));
  }
  // The publisher refuses a key after a failure until resumed; the caller decides about re-sending.
  for (const key of keysToResume) target.resumePublishing(key);
  return { failed, resend };
}

/** How often one send re-sends events refused only for their request's size (each time under a learned limit). */
const MAX_RESENDS = 3;

function resendFailure(item: BatchItem): HookyardError {
  return new HookyardError(
    "CONNECTION_FAILED",
    `pubsub refused the request carrying event ${item.envelope.id} (${item.size} bytes) for its size; it is sent again`,
    { retryable: true },
  );
}

/** What Pub/Sub counts against its limits: data, attribute names and values, and the ordering key. */
function sizeOf(envelope: Envelope): number {
  return payloadAndHeadersSize(envelope, cloudEventAttributes(envelope)) + Buffer.byteLength(envelope.key ?? "");
}

async function publishOne(target: Topic, envelope: Envelope, config: PubSubSinkConfig): Promise<void> {
  const orderingKey = config.messageOrdering ? envelope.key : undefined;
  const message = {
    data: Buffer.from(envelope.data.buffer, envelope.data.byteOffset, envelope.data.byteLength),
    attributes: cloudEventAttributes(envelope),
    ...(orderingKey === undefined || orderingKey === "" ? {} : { orderingKey }),
  };
  await publishWithin(target, message, publishDeadline(config), `event ${envelope.id} on topic ${target.name}`);
}

/** `publishTimeout` counted from the moment a message is handed to the client, which may batch it first. */
function publishDeadline(config: PubSubSinkConfig): number {
  return config.publishTimeout + config.batching.maxDelay;
}

/**
 * The byte limit in Pub/Sub's refusal of a request for its size: "Request payload size exceeds the limit:
 * 10485760 bytes." (the service, INVALID_ARGUMENT) or "received message larger than max (5243000 vs. 4194304)"
 * (a gRPC server's receive limit, as on the emulator, RESOURCE_EXHAUSTED).
 */
export function requestSizeRefusal(error: unknown): number | undefined {
  const message = error instanceof Error ? error.message : String(error);
  const service = /exceeds the limit: (\d+) bytes/.exec(message);
  if (service !== null) return Number(service[1]);
  const grpc = /larger than max \(\d+ vs\.? (\d+)\)/.exec(message);
  return grpc === null ? undefined : Number(grpc[1]);
}
