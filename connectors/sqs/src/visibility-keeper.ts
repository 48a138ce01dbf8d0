import { ChangeMessageVisibilityBatchCommand, type SQSClient } from "@aws-sdk/client-sqs";
import type { Context } from "@hookyard/core";
import { translateSqsError } from "./errors.js";

/**
 * Keeps received messages invisible while they wait for or run their delivery: every message held longer than
 * half the visibility timeout since its last extension gets a new full timeout, in ChangeMessageVisibilityBatch
 * calls of 10.
 */
export interface VisibilityKeeper {
  track(receiptHandle: string): void;
  untrack(receiptHandle: string): void;
  close(): void;
}

export function createVisibilityKeeper(
  client: SQSClient,
  queueUrl: string,
  visibilityMs: number,
  log: Context["logger"],
): VisibilityKeeper {
  const extendedAt = new Map<string, number>();
  const seconds = Math.max(1, Math.ceil(visibilityMs / 1000));
  const due = (seconds * 1000) / 2;

  const tick = (): void => {
    const now = Date.now();
    const handles = [...extendedAt].filter(([, at]) => now - at >= due).map(([handle]) => handle);
    for (let i = 0; i < handles.length; i += 10) {
      const chunk = handles.slice(i, i + 10);
      for (const handle of chunk) extendedAt.set(handle, now);
      client
        .send(
          new ChangeMessageVisibilityBatchCommand({
            QueueUrl: queueUrl,
            Entries: chunk.map((handle, index) => ({
              Id: String(index),
              ReceiptHandle: handle,
              VisibilityTimeout: seconds,
            })),
          }),
        )
        .then(
          (response) => {
            for (const failed of response.Failed ?? []) {
              log.warn({ code: failed.Code, detail: failed.Message }, "sqs visibility extension failed");
            }
          },
          (error: unknown) => log.warn({ err: translateSqsError(error, queueUrl) }, "sqs visibility extension failed"),
        );
    }
  };
  const timer = setInterval(tick, Math.max(250, Math.min(due / 2, 5000)));
  timer.unref();

  return {
    track: (handle) => {
      extendedAt.set(handle, Date.now());
    },
    untrack: (handle) => {
      extendedAt.delete(handle);
    },
    close: () => clearInterval(timer),
  };
}
