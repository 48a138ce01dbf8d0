import { HookyardError } from "./errors.js";

/** One envelope of a batch the broker did not confirm. */
export interface FailedSinkItem {
  /** Position in the batch given to `send`. */
  readonly index: number;
  /** The envelope's id. */
  readonly id: string;
  readonly code: string;
  readonly message: string;
  readonly retryable: boolean;
}

/** The failed item for the envelope at `index` of a batch, from the (translated) error that failed it. */
export function failedSinkItem(index: number, id: string, error: HookyardError): FailedSinkItem {
  return { index, id, code: error.code, message: error.message, retryable: error.retryable };
}

/**
 * The error a sink throws when part of a batch was not confirmed: code SINK_PARTIAL_FAILURE, retryable only when
 * every failure is, `details.failed` naming each failed item (the runtime retries just those).
 */
export function sinkPartialFailure(where: string, total: number, failed: readonly FailedSinkItem[]): HookyardError {
  const sorted = [...failed].sort((a, b) => a.index - b.index);
  const first = sorted[0];
  const summary = first === undefined ? "" : `; first: #${first.index} ${first.id}: ${first.message}`;
  return new HookyardError(
    "SINK_PARTIAL_FAILURE",
    `${where}: ${sorted.length} of ${total} messages were not published${summary}`,
    {
      retryable: sorted.every((item) => item.retryable),
      details: { failed: sorted.map((item) => ({ ...item })) },
    },
  );
}

/**
 * The permanent failure of an event that alone is larger than a sink can publish: code MESSAGE_TOO_LARGE, never
 * retryable, naming the event's size and the limit (`details.size`, `details.limit` in bytes). `brokerSaid` is the
 * broker's own refusal when the event was under the limit the sink knew (the broker's limit is lower).
 */
export function messageTooLarge(
  where: string,
  event: { readonly id: string; readonly size: number },
  limit: { readonly bytes: number; readonly name: string },
  brokerSaid?: string,
): HookyardError {
  const message =
    brokerSaid === undefined
      ? `${where}: event ${event.id} is ${event.size} bytes, over the ${limit.name} of ${limit.bytes} bytes`
      : `${where}: event ${event.id} is ${event.size} bytes and the broker refused it as too large although the ` +
        `${limit.name} is ${limit.bytes} bytes (the broker's own limit is lower; lower ${limit.name}): ${brokerSaid}`;
  return new HookyardError("MESSAGE_TOO_LARGE", message, {
    retryable: false,
    details: { size: event.size, limit: limit.bytes, limitName: limit.name },
  });
}
