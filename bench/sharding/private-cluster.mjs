// A Redis Cluster of the benchmark's own (test/brokers' private cluster: free ports, temp dirs), so INFO counts
// only the bench and the harness's shared cluster is left alone.
import { startPrivateRedisCluster } from "@hookyard/test-brokers";

export async function startPrivateCluster({ masters = 3, replicasPerMaster = 0 } = {}) {
  return startPrivateRedisCluster({ masters, replicasPerMaster, nodeTimeoutMs: 5000 });
}
