export type { BrokerAddresses, BrokerName } from "./env.js";
export { brokerEnvFile, readBrokerEnv, requireBrokers } from "./env.js";
export { uniqueName, waitFor, withDeadline } from "./wait.js";
