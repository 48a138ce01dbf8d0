import type { Context } from "@hookyard/core";
import { createSqsClient } from "./client.js";
import type { SqsSinkConfig, SqsSourceConfig } from "./config.js";
import { resolveQueue } from "./queue.js";

/** Health probe: SQS answers (GetQueueUrl/GetQueueAttributes) and the queue exists. Never creates it. */
export async function checkSqsQueue(config: SqsSourceConfig | SqsSinkConfig, _ctx: Context): Promise<void> {
  const client = createSqsClient(config);
  try {
    await resolveQueue(client, { ...config, create: false });
  } finally {
    client.destroy();
  }
}
