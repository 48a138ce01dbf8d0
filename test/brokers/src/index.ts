export type { BrokerAddresses, BrokerName } from "./env.js";
export { brokerEnvFile, readBrokerEnv, requireBrokers } from "./env.js";
export { type PrivatePostgres, type PrivatePostgresOptions, startPrivatePostgres } from "./private-postgres.js";
export { type PrivatePubsubFake, privatePubsubFake } from "./private-pubsub-fake.js";
export { type PrivateRabbitMq, privateRabbitMq } from "./private-rabbitmq.js";
export {
  type PrivateRedis,
  type PrivateRedisOptions,
  privateRedis,
  startPrivateRedis,
  usePrivateRedis,
} from "./private-redis.js";
export {
  type ClusterNodeView,
  type PrivateClusterNode,
  type PrivateRedisCluster,
  type PrivateRedisClusterOptions,
  startPrivateRedisCluster,
} from "./private-redis-cluster.js";
export { redisServerArgs } from "./redis-server-args.js";
export { scratchDir } from "./scratch-dir.js";
export { type SeededRandom, seededRandom, TEST_SEED_VARIABLE } from "./seeded-random.js";
export { stablePort } from "./stable-port.js";
export { startTcpProxy, type TcpProxy } from "./tcp-proxy.js";
export { ExitedWhileStarting, uniqueName, waitFor, waitForProgress, waitForStart, withDeadline } from "./wait.js";
