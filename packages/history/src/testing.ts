export { allPages, attempt, binaryEnvelope, jsonEnvelope, settled, uniqueId } from "./conformance/fixtures.js";
export type { HistoryHarness, OpenHistory } from "./conformance/harness.js";
export { describeHistoryConformance } from "./conformance/history-conformance.js";
export { openPostgresTestHistory } from "./postgres/test-schema.js";
