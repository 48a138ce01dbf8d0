// A Redis Cluster of the benchmark's own: `masters` private redis-servers (bench/private-redis.mjs) with
// cluster-enabled, joined by `redis-cli --cluster create` (no replicas), so INFO counts only the bench and the
// harness's shared cluster is left alone.
import { execFileSync } from "node:child_process";
import { startPrivateRedis } from "../private-redis.mjs";

export async function startPrivateCluster({ masters = 3 } = {}) {
  const nodes = [];
  for (let i = 0; i < masters; i++) {
    nodes.push(
      await startPrivateRedis({
        extraArgs: [
          "--cluster-enabled",
          "yes",
          "--cluster-config-file",
          "nodes.conf",
          "--cluster-node-timeout",
          "5000",
        ],
      }),
    );
  }
  execFileSync(
    "redis-cli",
    ["--cluster", "create", ...nodes.map((n) => `127.0.0.1:${n.port}`), "--cluster-replicas", "0", "--cluster-yes"],
    { stdio: "ignore" },
  );
  for (const node of nodes) {
    for (let i = 0; !(await node.admin.cluster("INFO")).includes("cluster_state:ok"); i++) {
      if (i > 300) throw new Error("private cluster did not reach cluster_state:ok within 15 s");
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  return {
    nodes,
    clusterNodes: nodes.map((n) => ({ host: "127.0.0.1", port: n.port })),
    async stop() {
      await Promise.all(nodes.map((n) => n.stop()));
    },
  };
}
