#!/usr/bin/env node
// Micro-benchmark of @hookyard/delivery (build it first: npx turbo run build --filter=@hookyard/delivery).
// Prints signatures/s (HMAC v1 and ed25519 v1a, 1 KiB payload) and signed POSTs/s to a local keep-alive server
// running in a child process (so the client has its own core), with the client's CPU time per POST (user + system,
// this process only: the figure that does not depend on what else the machine is doing).
// Usage: node bench/delivery/delivery-bench.mjs [seconds=3] [concurrency=64]
import { spawn } from "node:child_process";
import { once } from "node:events";
import { createEnvelope, DEFAULT_ENDPOINT_POLICY } from "@hookyard/core";
import { createHttpDelivery, createSigner, generateSecret, generateSigningKeyPair } from "@hookyard/delivery";

const seconds = Number(process.argv[2] ?? 3);
const concurrency = Number(process.argv[3] ?? 64);
const payload = new Uint8Array(1024).fill(0x61);

function benchSign(label, secrets) {
  const signer = createSigner();
  const until = performance.now() + seconds * 1000;
  let count = 0;
  while (performance.now() < until) {
    for (let i = 0; i < 1000; i++) signer.sign({ id: `msg_${count + i}`, timestamp: 1_700_000_000, payload, secrets });
    count += 1000;
  }
  console.log(`${label}: ${Math.round(count / seconds).toLocaleString("en")} signatures/s`);
}

benchSign("sign v1 (HMAC-SHA256, 1 secret)", [generateSecret()]);
benchSign("sign v1 (HMAC-SHA256, 2 secrets, rotation)", [generateSecret(), generateSecret()]);
benchSign("sign v1a (ed25519)", [generateSigningKeyPair().secret]);

const serverSource = `
  import { createServer } from "node:http";
  const server = createServer((req, res) => { req.resume(); req.on("end", () => res.end("ok")); });
  server.keepAliveTimeout = 10_000;
  server.listen(0, "127.0.0.1", () => console.log(server.address().port));
`;
const child = spawn(process.execPath, ["--input-type=module", "-e", serverSource], {
  stdio: ["ignore", "pipe", "inherit"],
});
const [line] = await once(child.stdout, "data");
const port = Number(String(line).trim());

const delivery = createHttpDelivery({ ssrf: { allow: ["127.0.0.0/8"] } });
const endpoint = {
  id: "bench",
  url: `http://127.0.0.1:${port}/hook`,
  owner: "bench",
  secrets: [{ secret: generateSecret() }],
  headers: { "x-tenant": "bench" },
  enabled: true,
  policy: DEFAULT_ENDPOINT_POLICY,
};
const envelope = createEnvelope({ id: "evt_bench", source: "bench", type: "bench.event", data: payload });
let sent = 0;
let failed = 0;
const cpuBefore = process.cpuUsage();
const until = performance.now() + seconds * 1000;
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    while (performance.now() < until) {
      const outcome = await delivery.send(endpoint, envelope, 1);
      if (outcome.kind === "delivered") sent++;
      else failed++;
    }
  }),
);
const cpu = process.cpuUsage(cpuBefore);
console.log(
  `POST to local server (concurrency ${concurrency}): ${Math.round(sent / seconds).toLocaleString("en")} requests/s, ` +
    `${((cpu.user + cpu.system) / (sent + failed)).toFixed(1)} µs client CPU/request` +
    (failed > 0 ? `, ${failed} failed` : ""),
);
await delivery.close();
child.kill();
