// A source connector that costs nothing: it hands `events` envelopes of 1 KiB to the gateway as fast as `deliver`
// resolves (`maxInFlight` at a time), typed bench.ep-<i % endpoints>. e2e-rate.mjs runs it as the "synthetic"
// broker: the full runtime's own ceiling on this machine (router + enqueue + scheduler + delivery, no broker),
// against which the four brokers' end-to-end rates are compared. Loaded by the runtime by its file path.
import { PAYLOAD } from "./payload.mjs";

export const connector = {
  type: "hookyard-bench-synthetic",
  source: {
    schema: {
      events: { doc: "How many events to hand over.", format: "nat", default: 20000 },
      endpoints: { doc: "Types cycle over bench.ep-0 … bench.ep-(endpoints-1).", format: "nat", default: 100 },
      prefix: { doc: "Event id prefix.", format: String, default: "synthetic" },
      maxInFlight: { doc: "Deliveries awaited at once.", format: "nat", default: 1024 },
    },
    create(config, ctx) {
      let stopped = false;
      let running;
      return {
        async start(deliver) {
          let next = 0;
          const lane = async () => {
            while (!stopped && next < config.events) {
              const i = next++;
              const id = `${config.prefix}-${i}`;
              const envelope = ctx.toEnvelope({
                data: PAYLOAD,
                headers: { "ce-id": id, "ce-type": `bench.ep-${i % config.endpoints}` },
                source: `synthetic:${ctx.sourceId}`,
                defaults: { idempotencyKey: `synthetic:${id}` },
              });
              await deliver(envelope);
            }
          };
          running = Promise.all(Array.from({ length: config.maxInFlight }, lane));
        },
        async stop() {
          stopped = true;
          await running;
        },
      };
    },
  },
};
