import { createEmbeddedStore } from "./embedded/embedded-store.js";
import { describeWorkerCases } from "./worker/worker-cases.js";

describeWorkerCases("embedded store", async (options) => {
  const store = createEmbeddedStore(options);
  return { store, close: () => store.close() };
});
