/**
 * Coalesces one channel's consumer acks into cumulative acks, to cut AMQP frames: acking every message with its own
 * `basic.ack` costs one frame (and broker work) per message, while completions arrive in bursts (the Redis store
 * resolves many enqueues at once). The acks settled within one event-loop turn go out together on the next
 * `setImmediate`: one `basic.ack` with multiple=true for the contiguous settled prefix, individual acks beyond a gap.
 *
 * Safety: a multiple-ack acks every unacked delivery tag up to it on the channel, so it only ever reaches up to just
 * below the lowest delivery still unsettled (in flight, waiting for its key, sleeping in retry backoff). Acks beyond
 * that gap go out one by one, so a slow message never holds back the others' prefetch slots (no head-of-line
 * blocking). Nacks are sent at once; the broker forgets a nacked tag, so it counts as settled for the prefix.
 * Delivery tags are per channel (consecutive from 1): one coalescer per channel, and close() drops the pending acks
 * of a channel that is gone (the broker requeues those messages itself; their dedup keys make redelivery harmless).
 */

/** What the coalescer needs of a message: its delivery tag. */
export interface Tagged {
  readonly fields: { readonly deliveryTag: number };
}

/** The part of an amqplib channel the coalescer sends on. */
export interface AckChannel<M extends Tagged> {
  ack(message: M, allUpTo?: boolean): void;
  nack(message: M, allUpTo?: boolean, requeue?: boolean): void;
}

export interface AckCoalescer<M extends Tagged> {
  /** Registers a delivery as unsettled; call it for every message the channel delivers, in arrival order. */
  received(message: M): void;
  /** Settles a delivery as acked; the ack goes out at the next flush (after this event-loop turn). */
  ack(message: M): void;
  /** Settles a delivery with a nack, sent at once: requeued, or rejected when `requeue` is false. */
  nack(message: M, requeue: boolean): void;
  /** Sends the pending acks now, e.g. before closing the channel. */
  flush(): void;
  /** The channel is gone: drops the pending acks; later calls send nothing. */
  close(): void;
}

/** `onError` hears about frames that could not be sent (a closed channel); the coalescer never throws. */
export function createAckCoalescer<M extends Tagged>(
  channel: AckChannel<M>,
  onError: (error: unknown, action: "ack" | "nack") => void,
): AckCoalescer<M> {
  // Received and not yet settled. Tags arrive ascending and a Set iterates in insertion order: the first is the lowest.
  const unsettled = new Set<number>();
  let pending: M[] = [];
  let lastTag = 0;
  // Multiple-acks rely on every delivery on the channel passing through received(); a gap in the tags means some
  // did not, so the coalescer falls back to individual acks rather than risk acking a message it never saw.
  let consecutive = true;
  let scheduled = false;
  let closed = false;

  function fail(error: unknown, action: "ack" | "nack"): void {
    onError(error, action);
    close();
  }

  function flush(): void {
    if (closed || pending.length === 0) return;
    const batch = pending.sort((a, b) => a.fields.deliveryTag - b.fields.deliveryTag);
    pending = [];
    const lowestUnsettled = consecutive ? (unsettled.values().next().value ?? Number.POSITIVE_INFINITY) : 0;
    let prefixEnd = -1;
    while (prefixEnd + 1 < batch.length && (batch[prefixEnd + 1] as M).fields.deliveryTag < lowestUnsettled) {
      prefixEnd += 1;
    }
    try {
      if (prefixEnd >= 0) channel.ack(batch[prefixEnd] as M, true);
      for (let index = prefixEnd + 1; index < batch.length; index += 1) channel.ack(batch[index] as M, false);
    } catch (error) {
      fail(error, "ack");
    }
  }

  function close(): void {
    closed = true;
    pending = [];
    unsettled.clear();
  }

  return {
    received(message) {
      if (closed) return;
      const tag = message.fields.deliveryTag;
      if (tag !== lastTag + 1) consecutive = false;
      lastTag = tag;
      unsettled.add(tag);
    },

    ack(message) {
      if (closed) return onError(new Error("channel closed"), "ack");
      unsettled.delete(message.fields.deliveryTag);
      pending.push(message);
      if (scheduled) return;
      scheduled = true;
      // setImmediate, not a microtask: it runs after every I/O callback of this loop turn and all the promise chains
      // they started, however many awaits deep each completion is, so a whole burst lands in one flush.
      setImmediate(() => {
        scheduled = false;
        flush();
      });
    },

    nack(message, requeue) {
      if (closed) return onError(new Error("channel closed"), "nack");
      unsettled.delete(message.fields.deliveryTag);
      try {
        channel.nack(message, false, requeue);
      } catch (error) {
        fail(error, "nack");
      }
    },

    flush,
    close,
  };
}
