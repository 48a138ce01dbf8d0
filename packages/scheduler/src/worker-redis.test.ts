import { after } from "node:test";
import { requireBrokers, uniqueName } from "@hookyard/test-brokers";
import { Redis } from "ioredis";
import { createRedisStore } from "./redis/redis-store.js";
import { describeWorkerCases } from "./worker/worker-cases.js";

const brokers = requireBrokers("redis");
const admin = new Redis(brokers.redisUrl);
after(() => admin.quit());

describeWorkerCases("redis store", async (options) => {
  const prefix = uniqueName("hyw");
  const store = createRedisStore({ redis: brokers.redisUrl, prefix, ...options });
  return {
    store,
    async close() {
      await store.close();
      let cursor = "0";
      do {
        const [next, found] = await admin.scan(cursor, "MATCH", `{${prefix}}:*`, "COUNT", 1000);
        cursor = next;
        if (found.length > 0) await admin.del(...found);
      } while (cursor !== "0");
    },
  };
});
