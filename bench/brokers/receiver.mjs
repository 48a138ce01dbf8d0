// The benchmark's customer endpoints, in their own process so they do not take Hookyard's CPU: one keep-alive
// node:http server per endpoint on 127.0.0.1 (one origin each), answering 200 at once. Over IPC:
//   → { type: "ready", ports }      { type: "stats" } → { type: "stats", total, first, last } (performance.timeOrigin-based ms)
//   { type: "reset" } → { type: "ok" }
import { createServer } from "node:http";

const count = Number(process.argv[2] ?? 100);
let total = 0;
let first = 0;
let last = 0;
const handler = (req, res) => {
  req.on("data", () => {});
  req.on("end", () => {
    const now = performance.timeOrigin + performance.now();
    if (total === 0) first = now;
    last = now;
    total += 1;
    res.writeHead(200).end();
  });
};
const ports = [];
for (let i = 0; i < count; i++) {
  const server = createServer(handler);
  server.keepAliveTimeout = 30_000;
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  ports.push(server.address().port);
}
process.on("message", (message) => {
  if (message.type === "stats") process.send({ type: "stats", total, first, last });
  else if (message.type === "reset") {
    total = 0;
    first = 0;
    last = 0;
    process.send({ type: "ok" });
  } else if (message.type === "exit") process.exit(0);
});
process.send({ type: "ready", ports });
