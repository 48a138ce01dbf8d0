import { Kafka, type KafkaConfig, type LogEntry, logLevel, type SASLOptions } from "kafkajs";
import type { Logger } from "pino";
import type { KafkaConnectionConfig } from "./config.js";

/** Builds a kafkajs client from the connection config, logging through the connector's pino logger. */
export function createKafkaClient(config: KafkaConnectionConfig, logger: Logger): Kafka {
  const options: KafkaConfig = {
    brokers: config.brokers,
    clientId: config.clientId,
    connectionTimeout: config.connectionTimeout,
    requestTimeout: config.requestTimeout,
    logLevel: logLevel.WARN,
    logCreator: () => (entry: LogEntry) => logKafkaEntry(logger, entry),
  };
  if (config.tls.enabled) {
    options.ssl = {
      rejectUnauthorized: config.tls.rejectUnauthorized,
      ...(config.tls.ca ? { ca: [config.tls.ca] } : {}),
      ...(config.tls.cert ? { cert: config.tls.cert } : {}),
      ...(config.tls.key ? { key: config.tls.key } : {}),
    };
  }
  const sasl = saslOptions(config.sasl);
  if (sasl !== undefined) options.sasl = sasl;
  return new Kafka(options);
}

function saslOptions(sasl: KafkaConnectionConfig["sasl"]): SASLOptions | undefined {
  const credentials = { username: sasl.username, password: sasl.password };
  switch (sasl.mechanism) {
    case "plain":
      return { mechanism: "plain", ...credentials };
    case "scram-sha-256":
      return { mechanism: "scram-sha-256", ...credentials };
    case "scram-sha-512":
      return { mechanism: "scram-sha-512", ...credentials };
    default:
      return undefined;
  }
}

function logKafkaEntry(logger: Logger, entry: LogEntry): void {
  const { message, ...extra } = entry.log;
  const fields = { kafka: { namespace: entry.namespace, ...extra } };
  // kafkajs's messages vary per event; they go under a constant message with the text as a field.
  if (entry.level === logLevel.ERROR) logger.error({ ...fields, detail: message }, "kafkajs error");
  else if (entry.level === logLevel.WARN) logger.warn({ ...fields, detail: message }, "kafkajs warning");
  else logger.debug({ ...fields, detail: message }, "kafkajs");
}
