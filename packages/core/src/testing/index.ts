// The shared connector conformance kit (`@hookyard/core/testing`): node:test suites every source and sink
// connector runs against its real broker, and the helpers they use. Free of broker clients by design.

export type { CapturedLogs } from "./capture-logs.js";
export { captureLogs } from "./capture-logs.js";
export type {
  SinkCapabilities,
  SinkCheck,
  SinkConformanceOptions,
  SinkHarness,
  SourceCapabilities,
  SourceCheck,
  SourceConformanceOptions,
  SourceHarness,
  SourceOverrides,
  TestMessage,
} from "./harness.js";
export type { DeliverBehaviour, DeliverCall, RecordingDeliver } from "./recording-deliver.js";
export { createRecordingDeliver } from "./recording-deliver.js";
export { describeSinkConformance } from "./sink-conformance.js";
export { describeSourceConformance } from "./source-conformance.js";
export type {
  DeadLetterRecord,
  TestContext,
  TestContextOptions,
  TestSourceContext,
  TestSourceContextOptions,
} from "./test-context.js";
export { createTestContext, createTestSourceContext } from "./test-context.js";
export {
  ALL_BYTES,
  CONFORMANCE_TYPE,
  conformanceMessage,
  NON_UTF8_BYTES,
  POISON_TYPE,
  runTag,
  sameBytes,
} from "./test-messages.js";
export { waitUntil } from "./wait-until.js";
