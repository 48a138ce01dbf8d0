export type { PolicyOverrides } from "./conformance/fixtures.js";
export { attemptAt, settleAll, takeAllSettled, testEndpoint, testEnvelope, uniqueId } from "./conformance/fixtures.js";
export type { OpenStore, StoreHarness } from "./conformance/harness.js";
export { describeStoreConformance } from "./conformance/store-conformance.js";
