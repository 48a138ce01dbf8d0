import { DeleteMessageBatchCommand, type SQSClient } from "@aws-sdk/client-sqs";
import type { Context } from "@hookyard/core";
import { translateSqsError } from "./errors.js";

/**
 * Acks (deletes) messages in DeleteMessageBatch calls of up to 10, sent when 10 are waiting or after `delayMs`.
 * A failed delete only means SQS redelivers the message after its visibility timeout: the idempotency key makes
 * that duplicate harmless, so failures are logged, not retried.
 */
export interface DeleteBatcher {
  delete(receiptHandle: string): void;
  /** Sends what is waiting and resolves when every delete call so far has answered. */
  flush(): Promise<void>;
}

export function createDeleteBatcher(
  client: SQSClient,
  queueUrl: string,
  log: Context["logger"],
  delayMs = 10,
): DeleteBatcher {
  let waiting: string[] = [];
  let timer: NodeJS.Timeout | undefined;
  const sending = new Set<Promise<void>>();

  const send = (handles: string[]): void => {
    const call = client
      .send(
        new DeleteMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: handles.map((handle, index) => ({ Id: String(index), ReceiptHandle: handle })),
        }),
      )
      .then(
        (response) => {
          for (const failed of response.Failed ?? []) {
            log.warn(
              { code: failed.Code, detail: failed.Message },
              "sqs delete failed; the message will be redelivered",
            );
          }
        },
        (error: unknown) => {
          log.warn(
            { err: translateSqsError(error, queueUrl), count: handles.length },
            "sqs delete batch failed; the messages will be redelivered",
          );
        },
      )
      .finally(() => sending.delete(call));
    sending.add(call);
  };

  const drain = (): void => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    while (waiting.length > 0) send(waiting.splice(0, 10));
  };

  return {
    delete(receiptHandle) {
      waiting.push(receiptHandle);
      if (waiting.length >= 10) {
        send(waiting.splice(0, 10));
        if (waiting.length === 0 && timer !== undefined) {
          clearTimeout(timer);
          timer = undefined;
        }
      } else {
        timer ??= setTimeout(drain, delayMs);
      }
    },
    async flush() {
      drain();
      waiting = [];
      while (sending.size > 0) await Promise.allSettled([...sending]);
    },
  };
}
