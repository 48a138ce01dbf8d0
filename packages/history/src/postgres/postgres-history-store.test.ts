import { requireBrokers } from "@hookyard/test-brokers";
import { describeHistoryConformance } from "../conformance/history-conformance.js";
import { createPostgresHistoryStore } from "./postgres-history-store.js";
import { dropSchema, testSchema } from "./test-schema.js";

const { postgresUrl } = requireBrokers("postgres");

describeHistoryConformance("postgres", async (options) => {
  const schema = testSchema();
  const store = await createPostgresHistoryStore({ ...options, url: postgresUrl, schema, poolSize: 2 });
  return {
    store,
    async close() {
      await store.close();
      await dropSchema(postgresUrl, schema);
    },
  };
});
