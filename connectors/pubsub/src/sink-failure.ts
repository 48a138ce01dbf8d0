import { HookyardError } from "@hookyard/core";

/** One envelope of a batch the broker did not confirm. */
export interface FailedItem {
  readonly index: number;
  readonly id: string;
  readonly code: string;
  readonly message: string;
}

/**
 * SINK_PARTIAL_FAILURE naming every failed item; retryable only when each failure is (the caller then re-sends
 * just those items, or the whole batch: envelope ids make re-sends recognisable downstream).
 */
export function partialFailure(
  broker: string,
  destination: string,
  total: number,
  failed: readonly (FailedItem & { readonly retryable: boolean })[],
): HookyardError {
  const first = failed[0];
  const summary = first === undefined ? "" : `; first: #${first.index} ${first.id}: ${first.message}`;
  return new HookyardError(
    "SINK_PARTIAL_FAILURE",
    `${broker}: ${failed.length} of ${total} messages were not published to ${destination}${summary}`,
    {
      retryable: failed.every((item) => item.retryable),
      details: {
        destination,
        failed: failed.map(({ index, id, code, message }) => ({ index, id, code, message })),
      },
    },
  );
}
