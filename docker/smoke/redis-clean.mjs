// Deletes the smoke test's Redis keys: every key of one Hookyard deployment carries its prefix (as the hash tag).
// SCAN with a large COUNT: the shared test Redis may hold many other keys.
//   node redis-clean.mjs REDIS_URL PREFIX
import { createRequire } from "node:module";

const require = createRequire(new URL("../../package.json", import.meta.url));
const { Redis } = require("ioredis");

const [url, prefix] = process.argv.slice(2);
if (!url || !prefix) {
  console.error("usage: redis-clean.mjs REDIS_URL PREFIX");
  process.exit(2);
}
const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
await redis.connect();
let cursor = "0";
let deleted = 0;
do {
  const [next, keys] = await redis.scan(cursor, "MATCH", `*${prefix}*`, "COUNT", 20000);
  cursor = next;
  if (keys.length > 0) deleted += await redis.unlink(...keys);
} while (cursor !== "0");
await redis.quit();
console.log(`deleted ${deleted} keys`);
