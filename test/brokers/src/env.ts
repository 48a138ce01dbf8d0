import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The addresses of the brokers the tests use, as `test/brokers/brokers up` writes them. */
export interface BrokerAddresses {
  readonly redisUrl: string;
  readonly redisClusterNodes: readonly { host: string; port: number }[];
  readonly amqpUrl: string;
  readonly kafkaBrokers: readonly string[];
  readonly pubsubEmulatorHost: string;
  readonly pubsubProjectId: string;
  readonly sqsEndpoint: string;
  readonly sqsRegion: string;
  /** A superuser connection URL (tests create their own schema or database in it). */
  readonly postgresUrl: string;
  /** Jaeger's OTLP/HTTP receiver (base URL: /v1/traces is appended) and its query API (/api/traces). */
  readonly jaegerOtlpEndpoint: string;
  readonly jaegerQueryUrl: string;
  /** A valkey-server binary (WAITAOF, which Debian's Redis 7.0 lacks); tests start private servers with it. */
  readonly valkeyServer: string;
}

export type BrokerName =
  | "redis"
  | "redis-cluster"
  | "rabbitmq"
  | "kafka"
  | "pubsub"
  | "sqs"
  | "postgres"
  | "jaeger"
  | "valkey";

const KEYS: Record<BrokerName, readonly string[]> = {
  redis: ["HOOKYARD_REDIS_URL"],
  "redis-cluster": ["HOOKYARD_REDIS_CLUSTER_NODES"],
  rabbitmq: ["HOOKYARD_AMQP_URL"],
  kafka: ["HOOKYARD_KAFKA_BROKERS"],
  pubsub: ["PUBSUB_EMULATOR_HOST", "PUBSUB_PROJECT_ID"],
  sqs: ["HOOKYARD_SQS_ENDPOINT", "HOOKYARD_SQS_REGION"],
  postgres: ["HOOKYARD_POSTGRES_URL"],
  jaeger: ["HOOKYARD_JAEGER_OTLP_ENDPOINT", "HOOKYARD_JAEGER_QUERY_URL"],
  valkey: ["HOOKYARD_VALKEY_SERVER"],
};

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../../../..");

/** Where the harness writes its env file (HOOKYARD_BROKERS_DIR overrides the state folder). */
export function brokerEnvFile(): string {
  return join(process.env.HOOKYARD_BROKERS_DIR ?? join(repoRoot, ".brokers"), "env");
}

/**
 * Reads the broker env: variables already in the environment win, so tests can be pointed at brokers elsewhere;
 * the rest come from the harness's env file.
 */
export function readBrokerEnv(): Record<string, string> {
  const fromFile: Record<string, string> = {};
  const file = brokerEnvFile();
  if (existsSync(file)) {
    for (const line of readFileSync(file, "utf8").split("\n")) {
      const match = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
      if (match?.[1] !== undefined && match[2] !== undefined) fromFile[match[1]] = match[2];
    }
  }
  const merged: Record<string, string> = { ...fromFile };
  for (const [key, value] of Object.entries(process.env)) if (value !== undefined) merged[key] = value;
  return merged;
}

/**
 * The addresses of the named brokers. Throws, with the command that starts them, when the harness has not
 * brought them up and the environment does not name them: a test that needs a broker fails, it never skips.
 */
export function requireBrokers(...names: BrokerName[]): BrokerAddresses {
  const env = readBrokerEnv();
  const missing = names.filter((name) => KEYS[name].some((key) => !env[key]));
  if (missing.length > 0) {
    throw new Error(
      `broker(s) not running: ${missing.join(", ")}. Start them with \`npm run brokers:up\` ` +
        `(or \`test/brokers/brokers up ${missing.join(" ")}\`), or set ${missing.flatMap((n) => KEYS[n]).join(", ")} ` +
        `to point the tests at brokers elsewhere (env file looked for: ${brokerEnvFile()}).`,
    );
  }
  return {
    redisUrl: env.HOOKYARD_REDIS_URL ?? "",
    redisClusterNodes: (env.HOOKYARD_REDIS_CLUSTER_NODES ?? "")
      .split(",")
      .filter(Boolean)
      .map((node) => {
        const [host = "127.0.0.1", port = "0"] = node.split(":");
        return { host, port: Number(port) };
      }),
    amqpUrl: env.HOOKYARD_AMQP_URL ?? "",
    kafkaBrokers: (env.HOOKYARD_KAFKA_BROKERS ?? "").split(",").filter(Boolean),
    pubsubEmulatorHost: env.PUBSUB_EMULATOR_HOST ?? "",
    pubsubProjectId: env.PUBSUB_PROJECT_ID ?? "",
    sqsEndpoint: env.HOOKYARD_SQS_ENDPOINT ?? "",
    sqsRegion: env.HOOKYARD_SQS_REGION ?? "us-east-1",
    postgresUrl: env.HOOKYARD_POSTGRES_URL ?? "",
    jaegerOtlpEndpoint: env.HOOKYARD_JAEGER_OTLP_ENDPOINT ?? "",
    jaegerQueryUrl: env.HOOKYARD_JAEGER_QUERY_URL ?? "",
    valkeyServer: env.HOOKYARD_VALKEY_SERVER ?? "",
  };
}
