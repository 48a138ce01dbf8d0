// What the scheduler benches load a store with: their endpoints, and a backlog enqueued as a broker source hands
// it over.
import { createEnvelope, DEFAULT_ENDPOINT_POLICY } from "@hookyard/core";

/**
 * `count` endpoints, each its own id and URL, one signing secret, no extra headers, enabled, with a policy that
 * lets a drain lease many deliveries at once (concurrency 1,000).
 * `url(i)`: where endpoint i is (default: a port nothing listens on, for benches that never send); `id(i)`: its id
 * (default `ep-0000`…); `policy`: another policy (default: the default with concurrency 1,000).
 */
export function benchEndpoints(
  count,
  {
    url = (i) => `http://127.0.0.1:9/${i}`,
    id = (i) => `ep-${String(i).padStart(4, "0")}`,
    policy = { ...DEFAULT_ENDPOINT_POLICY, concurrency: 1000 },
  } = {},
) {
  return Array.from({ length: count }, (_, i) => ({
    id: id(i),
    url: url(i),
    owner: "bench",
    secrets: [{ secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" }],
    headers: {},
    enabled: true,
    policy,
  }));
}

/**
 * Enqueues `count` messages carrying `data`, one endpoint each (round-robin over `endpoints`), each with a
 * broker-style dedup key (24 h), in waves of 256 concurrent calls, which the store coalesces into script calls of
 * up to 64. `tag` keeps message ids and dedup keys of several runs apart.
 */
export async function enqueueWaves(store, { count, endpoints, data, tag = "" }) {
  const dedupPrefix = tag === "" ? "bench:o:" : `bench:o:${tag}:`;
  for (let i = 0; i < count; i += 256) {
    await Promise.all(
      Array.from({ length: Math.min(256, count - i) }, (_, j) =>
        store.enqueue({
          envelope: createEnvelope({ id: `m${tag}-${i + j}`, source: "bench", type: "t", data }),
          endpointIds: [endpoints[(i + j) % endpoints.length].id],
          now: 1,
          dedupKey: `${dedupPrefix}${i + j}`,
          dedupTtlMs: 86_400_000,
        }),
      ),
    );
  }
}
