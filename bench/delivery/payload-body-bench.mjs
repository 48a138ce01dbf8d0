// What the Standard Webhooks payload structure costs per delivery: building the body and signing it, for a ~1 KiB
// JSON payload, "raw" against "standard", medians of interleaved rounds. Run after building:
//   node bench/delivery/payload-body-bench.mjs
import { createEnvelope } from "@hookyard/core";
import { createSigner, webhookBody } from "@hookyard/delivery";

const payload = JSON.stringify({
  items: Array.from({ length: 20 }, (_, i) => ({ id: `item_${i}`, qty: i, price: 12.5 })),
}).slice(0, 1024);
const envelope = createEnvelope({
  id: "evt_1",
  source: "s",
  type: "order.created",
  data: JSON.stringify({ p: payload }),
  contentType: "application/json",
});
const signer = createSigner();
const secrets = [{ secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" }];
function run(payloadFormat, n) {
  const endpoint = { payload: payloadFormat };
  const t = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    const body = webhookBody(endpoint, envelope);
    signer.sign({ id: envelope.id, timestamp: 1, payload: body.bytes, secrets });
  }
  return Number(process.hrtime.bigint() - t) / n / 1000;
}
const rounds = { raw: [], standard: [] };
for (let r = 0; r < 7; r++) for (const f of ["raw", "standard"]) rounds[f].push(run(f, 50_000));
const median = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(
  `payload ${envelope.data.byteLength} B; body+sign per delivery, median of 7 interleaved rounds: raw ${median(rounds.raw).toFixed(2)} µs, standard ${median(rounds.standard).toFixed(2)} µs`,
);
