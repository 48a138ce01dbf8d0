import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createEnvelope, type Envelope, HookyardError, permanentError, type Sink } from "@hookyard/core";
import { createSinkDispatcher } from "./sink-dispatcher.js";

const event = (id: string) => createEnvelope({ id, source: "ingress:test", type: "t", data: "{}" });

/** A sink (not a broker) that records each send and fails as told: the dispatcher's own logic under test. */
function recordingSink(fail: (batch: readonly Envelope[]) => void): Sink & { sends: string[][] } {
  const sends: string[][] = [];
  return {
    sends,
    async send(batch) {
      sends.push(batch.map((envelope) => envelope.id));
      fail(batch);
    },
    async stop() {},
  };
}

describe("sink dispatcher", () => {
  it("sends events handed over together as one batch", async () => {
    const sink = recordingSink(() => undefined);
    const dispatcher = createSinkDispatcher(new Map([["s", sink]]));
    const outcomes = await Promise.all(["a", "b", "c"].map((id) => dispatcher.send("s", event(id))));
    assert.deepEqual(
      outcomes.map((o) => o.kind),
      ["delivered", "delivered", "delivered"],
    );
    assert.deepEqual(sink.sends, [["a", "b", "c"]]);
  });

  it("sends an event again alone before taking a batch's permanent failure as its own", async () => {
    // A non-conforming sink: a batch with more than one event fails for good as a whole (a batch too large).
    const sink = recordingSink((batch) => {
      if (batch.length > 1) throw permanentError("batch is larger than the broker accepts");
    });
    const dispatcher = createSinkDispatcher(new Map([["s", sink]]));
    const outcomes = await Promise.all(["a", "b"].map((id) => dispatcher.send("s", event(id))));
    assert.deepEqual(
      outcomes.map((o) => o.kind),
      ["delivered", "delivered"],
    );
    assert.deepEqual(sink.sends.slice(1).sort(), [["a"], ["b"]]);
  });

  it("keeps an event's own size verdict and a batch-level transient failure as they are", async () => {
    const sink = recordingSink((batch) => {
      throw new HookyardError("SINK_PARTIAL_FAILURE", "failed", {
        details: {
          failed: batch.map((envelope, index) =>
            envelope.id === "big"
              ? {
                  index,
                  id: envelope.id,
                  code: "MESSAGE_TOO_LARGE",
                  message: "event big is 9 bytes, over 8",
                  retryable: false,
                }
              : { index, id: envelope.id, code: "CONNECTION_FAILED", message: "broker down", retryable: true },
          ),
        },
      });
    });
    const dispatcher = createSinkDispatcher(new Map([["s", sink]]));
    const [big, small] = await Promise.all(["big", "small"].map((id) => dispatcher.send("s", event(id))));
    assert.equal(big?.kind, "rejected");
    assert.match(big?.attempt.errorMessage ?? "", /9 bytes, over 8/);
    assert.equal(small?.kind, "retry");
    assert.equal(sink.sends.length, 1, "nothing was sent again alone");
  });
});
