import { SQSClient, type SQSClientConfig } from "@aws-sdk/client-sqs";
import { configError } from "@hookyard/core";
import type { SqsConnectionConfig } from "./config.js";

/**
 * The SDK options for a connection config; explicit credentials only when both key parts are given.
 * `cacheMiddleware`: the client resolves each command's middleware stack once instead of on every request (a
 * tenth of the SDK's CPU per request; the connectors never change a client's stack after creating it). It only
 * applies to `send(command)` without per-call options.
 */
export function sqsClientOptions(config: SqsConnectionConfig, extraTimeoutMs = 0): SQSClientConfig {
  const { accessKeyId, secretAccessKey, sessionToken } = config.credentials;
  if ((accessKeyId === null) !== (secretAccessKey === null)) {
    throw configError(
      "sqs credentials: set both accessKeyId and secretAccessKey, or neither (the SDK's default chain)",
    );
  }
  return {
    region: config.region,
    ...(config.endpoint === null ? {} : { endpoint: config.endpoint }),
    ...(accessKeyId === null || secretAccessKey === null
      ? {}
      : { credentials: { accessKeyId, secretAccessKey, ...(sessionToken === null ? {} : { sessionToken }) } }),
    requestHandler: { connectionTimeout: 5000, requestTimeout: config.requestTimeout + extraTimeoutMs },
    cacheMiddleware: true,
  };
}

export function createSqsClient(config: SqsConnectionConfig, extraTimeoutMs = 0): SQSClient {
  return new SQSClient(sqsClientOptions(config, extraTimeoutMs));
}
