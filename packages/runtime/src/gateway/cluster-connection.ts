import type { ClusterConnection } from "@hookyard/scheduler";
import type { HookyardConfig } from "../config/types.js";

type ClusterSettings = Extract<HookyardConfig["redis"], { mode: "cluster" }>;

/** How the scheduler store reaches a Redis Cluster: the seed nodes, with the config's credentials and TLS. */
export function clusterConnection(settings: ClusterSettings): ClusterConnection {
  return {
    clusterNodes: settings.nodes.map((node) => ({ host: node.host, port: node.port })),
    ...(settings.username === undefined ? {} : { username: settings.username }),
    ...(settings.password === undefined ? {} : { password: settings.password }),
    tls: settings.tls,
  };
}
