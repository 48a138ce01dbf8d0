// A demo webhook receiver: checks each request's Standard Webhooks signature (v1, HMAC-SHA256 with a whsec_
// secret) and logs one JSON line per webhook. No dependencies: runs on any Node 20+ (the compose file runs it on the
// plain Node image; docker/smoke-test.sh runs it on the host). Settings, from the environment:
//   WEBHOOK_SECRET  the endpoint's whsec_ secret (required)
//   HOST, PORT      where to listen (default 0.0.0.0:8089; PORT=0 picks a free port)
//   RECORD_FILE     also append each webhook as a JSON line to this file (optional)
//   PORT_FILE       write the port listened on to this file once listening (optional)
// GET / answers the last 100 webhooks as JSON.
import { createHmac, timingSafeEqual } from "node:crypto";
import { appendFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";

const secret = process.env.WEBHOOK_SECRET ?? "";
if (!secret.startsWith("whsec_")) {
  console.error("demo-receiver: set WEBHOOK_SECRET to the endpoint's whsec_ secret");
  process.exit(2);
}
const key = Buffer.from(secret.slice("whsec_".length), "base64");
const maxBodyBytes = 1024 * 1024;
const recent = [];

function verify(headers, body) {
  const id = headers["webhook-id"];
  const timestamp = headers["webhook-timestamp"];
  if (typeof id !== "string" || typeof timestamp !== "string") return false;
  const expected = Buffer.from(
    `v1,${createHmac("sha256", key).update(`${id}.${timestamp}.`).update(body).digest("base64")}`,
  );
  return String(headers["webhook-signature"] ?? "")
    .split(" ")
    .some((candidate) => {
      const given = Buffer.from(candidate);
      return given.length === expected.length && timingSafeEqual(given, expected);
    });
}

const server = createServer((request, response) => {
  if (request.method === "GET") {
    response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(recent, null, 2));
    return;
  }
  const chunks = [];
  let size = 0;
  request.on("data", (chunk) => {
    size += chunk.length;
    if (size > maxBodyBytes) request.destroy();
    else chunks.push(chunk);
  });
  request.on("end", () => {
    const body = Buffer.concat(chunks);
    const record = {
      time: new Date().toISOString(),
      id: request.headers["webhook-id"] ?? null,
      verified: verify(request.headers, body),
      path: request.url,
      body: body.toString("utf8"),
    };
    console.log(JSON.stringify({ msg: "demo receiver got a webhook", ...record }));
    if (process.env.RECORD_FILE) appendFileSync(process.env.RECORD_FILE, `${JSON.stringify(record)}\n`);
    recent.push(record);
    if (recent.length > 100) recent.shift();
    // A webhook whose signature does not check out is refused, as a real receiver would.
    response.writeHead(record.verified ? 204 : 401).end();
  });
});

server.listen(Number(process.env.PORT ?? 8089), process.env.HOST ?? "0.0.0.0", () => {
  const { address, port } = server.address();
  console.log(JSON.stringify({ msg: "demo receiver listening", address, port }));
  if (process.env.PORT_FILE) writeFileSync(process.env.PORT_FILE, String(port));
});
for (const signal of ["SIGTERM", "SIGINT"]) process.on(signal, () => server.close(() => process.exit(0)));
