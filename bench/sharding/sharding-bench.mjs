// Scheduler shards on a 3-master Redis Cluster (issue 13): how evenly N shards spread Redis CPU and commands over
// the masters, and what a delivery costs with N shards vs one. Prints its figures; see bench/README.md.
//
//   npx turbo run build --filter=@hookyard/scheduler
//   node bench/sharding/sharding-bench.mjs [--shards 12] [--endpoints 1000] [--deliveries 100000] [--runs 1]
//                                          [--ack everysec|replicated] [--replicas 0|1] [--listeners 0]
//
// `--ack replicated`: each master gets a replica and the store acknowledges an enqueue once its master's replica
// holds it (one WAIT per master per batch); the figures add the WAITs per 1,000 events. `--replicas 1` gives the
// masters replicas with everysec too (the cost of replication itself, without the WAITs).
//
// `--listeners K`: K more stores on the same prefix and shards listen for wake-ups (as K idle Hookyard instances'
// workers do). After the drain, 1,000 one-endpoint enqueues are sent one at a time (a quiet rate: one script call
// and one wake-up each), and the figures add, per node (replicas included) and per enqueue, the PUBLISH/SPUBLISH
// calls it ran, the wake-up messages it took from the cluster bus (CLUSTER INFO
// cluster_stats_messages_publish[shard]_received) and its output bytes (INFO stats total_net_output_bytes).
//
// Per run and layout (1 shard, then N shards, interleaved): a private 3-master cluster, 1,000 endpoints, 100,000
// one-endpoint messages enqueued, then drained by `--loops` claim → complete loops in this process (instant
// sends: the store's cost only). Figures from each master's INFO (used_cpu_sys + used_cpu_user, and
// commandstats) taken before and after the drain.
import { parseArgs } from "node:util";
import { createRedisStore } from "@hookyard/scheduler";
import { attemptAt, testEndpoint, testEnvelope } from "@hookyard/scheduler/testing";
import { startPrivateCluster } from "./private-cluster.mjs";

const { values } = parseArgs({
  options: {
    shards: { type: "string", default: "12" },
    endpoints: { type: "string", default: "1000" },
    deliveries: { type: "string", default: "100000" },
    runs: { type: "string", default: "1" },
    loops: { type: "string", default: "4" },
    ack: { type: "string", default: "everysec" },
    replicas: { type: "string" },
    listeners: { type: "string", default: "0" },
  },
});
const ack = values.ack === "replicated" ? { mode: "replicated", replicas: 1, timeoutMs: 5000 } : { mode: "everysec" };
const shards = Number(values.shards);
const endpointCount = Number(values.endpoints);
const deliveries = Number(values.deliveries);
const loops = Number(values.loops);
const listenerCount = Number(values.listeners);
/** One-at-a-time enqueues after the drain when wake-up listeners are measured. */
const TRICKLE = 1000;

/** Per node (replicas too): wake-up traffic counters, read before and after a run. */
async function nodeTraffic(cluster) {
  return Promise.all(
    cluster.nodes
      .filter((node) => node.alive)
      .map(async (node) => {
        const bus = await node.admin.cluster("INFO");
        const stats = await node.admin.info("stats");
        const commands = await node.admin.info("commandstats");
        const read = (text, prefix) => Number(new RegExp(`${prefix}(\\d+)`).exec(text)?.[1] ?? 0);
        return {
          port: node.port,
          busReceived:
            read(bus, "cluster_stats_messages_publish_received:") +
            read(bus, "cluster_stats_messages_publishshard_received:"),
          publishes: read(commands, "cmdstat_publish:calls=") + read(commands, "cmdstat_spublish:calls="),
          bytesOut: read(stats, "total_net_output_bytes:"),
        };
      }),
  );
}

async function masterFigures(cluster) {
  return Promise.all(
    cluster.nodes
      .filter((node) => node.createdAs === "master")
      .map(async (node) => {
        const cpu = await node.admin.info("cpu");
        const stats = await node.admin.info("commandstats");
        const field = (name) => Number(new RegExp(`${name}:([0-9.]+)`).exec(cpu)?.[1] ?? 0);
        let calls = 0;
        let scriptUsec = 0;
        let waits = 0;
        for (const m of stats.matchAll(/cmdstat_([a-z|]+):calls=(\d+),usec=(\d+)/g)) {
          if (m[1] === "info" || m[1] === "cluster|info" || m[1] === "cluster") continue;
          calls += Number(m[2]);
          if (m[1] === "fcall" || m[1] === "evalsha" || m[1] === "eval") scriptUsec += Number(m[3]);
          if (m[1] === "wait" || m[1] === "waitaof") waits += Number(m[2]);
        }
        return { cpuMs: (field("used_cpu_sys") + field("used_cpu_user")) * 1000, calls, scriptUsec, waits };
      }),
  );
}

async function runLayout(cluster, layoutShards, run) {
  const prefix = `bench-${run}-${layoutShards}`;
  const store = createRedisStore({
    redis: { clusterNodes: cluster.clusterNodes },
    prefix,
    shards: layoutShards,
    durability: ack,
  });
  const ids = Array.from({ length: endpointCount }, (_, i) => `ep-${i}`);
  await store.syncEndpoints(ids.map((id) => testEndpoint(id, { concurrency: 100 })));
  const listeners = Array.from({ length: listenerCount }, () =>
    createRedisStore({ redis: { clusterNodes: cluster.clusterNodes }, prefix, shards: layoutShards }),
  );
  let wakeUps = 0;
  for (const listener of listeners) listener.onWake(() => (wakeUps += 1));
  // A store call waits for the store's wake subscription.
  await Promise.all(listeners.map((listener) => listener.getEndpointState(ids[0], Date.now())));
  const now = Date.now();
  const beforeEnqueue = await masterFigures(cluster);
  for (let i = 0; i < deliveries; i += 2000) {
    const batch = [];
    for (let j = i; j < Math.min(deliveries, i + 2000); j++) {
      batch.push(store.enqueue({ envelope: testEnvelope(), endpointIds: [ids[j % endpointCount]], now }));
    }
    await Promise.all(batch);
  }
  const before = await masterFigures(cluster);
  const enqueueCpuMs = before.reduce((sum, m, i) => sum + m.cpuMs - beforeEnqueue[i].cpuMs, 0);
  const enqueueWaits = before.reduce((sum, m, i) => sum + m.waits - beforeEnqueue[i].waits, 0);
  const started = process.hrtime.bigint();
  let settled = 0;
  let claims = 0;
  async function loop(worker) {
    while (settled < deliveries) {
      const { deliveries: claimed } = await store.claim({ workerId: worker, max: 500, leaseMs: 60_000, now });
      claims += 1;
      if (claimed.length === 0) continue;
      await store.complete(
        worker,
        claimed.map((d) => ({ deliveryId: d.deliveryId, kind: "delivered", attempt: attemptAt(now, 200) })),
        now,
      );
      settled += claimed.length;
    }
  }
  await Promise.all(Array.from({ length: loops }, (_, k) => loop(`w${k}`)));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const after = await masterFigures(cluster);
  const trafficBefore = await nodeTraffic(cluster);
  const heardBefore = wakeUps;
  const trickle = listenerCount > 0 ? TRICKLE : 0;
  for (let i = 0; i < trickle; i++) {
    await store.enqueue({ envelope: testEnvelope(), endpointIds: [ids[i % endpointCount]], now: Date.now() });
  }
  const trafficAfter = await nodeTraffic(cluster);
  await Promise.all([store, ...listeners].map((s) => s.close()));
  await Promise.all(cluster.nodes.filter((n) => n.createdAs === "master").map((n) => n.admin.flushall()));
  const perMaster = after.map((a, i) => ({
    cpuMs: a.cpuMs - before[i].cpuMs,
    calls: a.calls - before[i].calls,
    scriptUsec: a.scriptUsec - before[i].scriptUsec,
  }));
  const total = (key) => perMaster.reduce((sum, m) => sum + m[key], 0);
  return {
    shards: layoutShards,
    seconds,
    perSecond: Math.round(settled / seconds),
    claims,
    cpuShare: perMaster.map((m) => m.cpuMs / total("cpuMs")),
    callShare: perMaster.map((m) => m.calls / total("calls")),
    commandsPerDelivery: total("calls") / settled,
    cpuUsPerDelivery: (total("cpuMs") * 1000) / settled,
    enqueueCpuUs: (enqueueCpuMs * 1000) / deliveries,
    waitsPerThousand: (enqueueWaits * 1000) / deliveries,
    scriptUsPerDelivery: total("scriptUsec") / settled,
    heardPerEnqueue: (wakeUps - heardBefore) / TRICKLE,
    traffic: trafficAfter.map((a, i) => ({
      port: a.port,
      busReceived: (a.busReceived - trafficBefore[i].busReceived) / TRICKLE,
      publishes: (a.publishes - trafficBefore[i].publishes) / TRICKLE,
      bytesOut: (a.bytesOut - trafficBefore[i].bytesOut) / TRICKLE,
    })),
  };
}

const pct = (x) => `${(x * 100).toFixed(1)} %`;
const results = [];
const replicasPerMaster = Number(values.replicas ?? (ack.mode === "replicated" ? 1 : 0));
const cluster = await startPrivateCluster({ masters: 3, replicasPerMaster });
try {
  for (let run = 0; run < Number(values.runs); run++) {
    for (const layout of [1, shards]) {
      const r = await runLayout(cluster, layout, run);
      results.push(r);
      console.log(
        `run ${run} shards ${String(r.shards).padStart(2)}: ${r.perSecond}/s (${r.seconds.toFixed(1)} s, ${r.claims} claims); ` +
          `CPU share per master ${r.cpuShare.map(pct).join(" / ")}; commands share ${r.callShare.map(pct).join(" / ")}; ` +
          `${r.commandsPerDelivery.toFixed(2)} commands/delivery; Redis CPU ${r.cpuUsPerDelivery.toFixed(1)} µs/delivery ` +
          `(+ ${r.enqueueCpuUs.toFixed(1)} µs per one-endpoint enqueue` +
          (ack.mode === "replicated" ? `, ${r.waitsPerThousand.toFixed(1)} WAITs per 1,000 events)` : ")"),
      );
      if (listenerCount > 0) {
        const node = (t) =>
          `${t.port}: ${t.publishes.toFixed(2)} (s)publish, ${t.busReceived.toFixed(2)} from the bus, ${t.bytesOut.toFixed(0)} B out`;
        console.log(
          `  per enqueue at a quiet rate: ${r.heardPerEnqueue.toFixed(2)} wake-ups heard by ${listenerCount} listener(s); ` +
            `per node: ${r.traffic.map(node).join("; ")}`,
        );
      }
    }
  }
} finally {
  await cluster.stop();
}
const worst = (key) =>
  Math.max(...results.filter((r) => r.shards === shards).flatMap((r) => r[key].map((s) => Math.abs(s * 3 - 1))));
console.log(
  `${shards} shards: largest deviation from a third — CPU ${pct(worst("cpuShare"))}, commands ${pct(worst("callShare"))} (target ≤ 15 %)`,
);
