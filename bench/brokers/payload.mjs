/** A 1 KiB JSON payload (the same shape as bench/scheduler's). */
export const PAYLOAD = (() => {
  const base = { type: "invoice.paid", data: { invoice: "in_1PqRsT", customer: "cus_9XyZ", amount: 4200 } };
  const pad = 1024 - JSON.stringify({ ...base, pad: "" }).length;
  return Buffer.from(JSON.stringify({ ...base, pad: "x".repeat(pad) }));
})();
