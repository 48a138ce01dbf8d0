import type { ConnectorConfigProblem } from "@hookyard/core";
import type { SqsConnectionConfig, SqsSourceConfig } from "./config.js";

/** SQS caps a visibility timeout at 12 hours. */
export const MAX_VISIBILITY_S = 12 * 60 * 60;

/** What `hookyard validate` checks without AWS; `start` refuses the same configs. */
export function validateSqsQueue(config: SqsConnectionConfig): ConnectorConfigProblem[] {
  return config.queueUrl === null && config.queueName === null
    ? [{ key: "queueUrl", expected: "queueUrl or queueName", found: "neither" }]
    : [];
}

export function validateSqsSource(config: SqsSourceConfig): ConnectorConfigProblem[] {
  const problems = validateSqsQueue(config);
  if (config.waitTime > 20_000)
    problems.push({ key: "waitTime", expected: "at most 20s", found: `${config.waitTime} ms` });
  if (config.visibilityTimeout < 1000 || config.visibilityTimeout > MAX_VISIBILITY_S * 1000) {
    problems.push({ key: "visibilityTimeout", expected: "from 1s to 12h", found: `${config.visibilityTimeout} ms` });
  }
  if (config.retryBackoff.max > MAX_VISIBILITY_S * 1000) {
    problems.push({ key: "retryBackoff.max", expected: "at most 12h", found: `${config.retryBackoff.max} ms` });
  }
  return problems;
}
