import { type ClientConfig, PubSub } from "@google-cloud/pubsub";
import { configError } from "@hookyard/core";
import type { PubSubConnectionConfig } from "./config.js";

/**
 * The client options for a connection config. With `emulatorHost` the client speaks plain gRPC to that address
 * only: the project id is given, so google-auth never looks for credentials or a metadata server.
 */
export function pubsubClientOptions(config: PubSubConnectionConfig): ClientConfig {
  if (config.emulatorHost !== null) {
    return { projectId: config.projectId, apiEndpoint: config.emulatorHost, emulatorMode: true };
  }
  const options: ClientConfig = { projectId: config.projectId };
  if (config.apiEndpoint !== null) options.apiEndpoint = config.apiEndpoint;
  if (config.credentialsJson !== null) {
    options.credentials = parseCredentials(config.credentialsJson);
  } else if (config.credentialsFile !== null) {
    options.keyFilename = config.credentialsFile;
  }
  return options;
}

export function createPubSubClient(config: PubSubConnectionConfig): PubSub {
  return new PubSub(pubsubClientOptions(config));
}

type Credentials = NonNullable<ClientConfig["credentials"]>;

function parseCredentials(json: string): Credentials {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    // Never echo the text: it is a private key.
    throw configError("pubsub credentialsJson is not valid JSON (expected a service account key)");
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw configError("pubsub credentialsJson is not a JSON object (expected a service account key)");
  }
  return parsed as Credentials;
}
