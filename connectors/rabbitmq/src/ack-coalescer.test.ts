import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type AckChannel, createAckCoalescer, type Tagged } from "./ack-coalescer.js";

type Frame = { ack: number; multiple: boolean } | { nack: number; requeue: boolean };

/** Records the frames the coalescer would send; not a broker (the source tests run against RabbitMQ). */
function recordingChannel(): AckChannel<Tagged> & { frames: Frame[]; failing: boolean } {
  return {
    frames: [],
    failing: false,
    ack(message, allUpTo = false) {
      if (this.failing) throw new Error("Channel closed");
      this.frames.push({ ack: message.fields.deliveryTag, multiple: allUpTo });
    },
    nack(message, _allUpTo = false, requeue = true) {
      if (this.failing) throw new Error("Channel closed");
      this.frames.push({ nack: message.fields.deliveryTag, requeue });
    },
  };
}

const message = (deliveryTag: number): Tagged => ({ fields: { deliveryTag } });
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

function setUp(deliveries: number) {
  const channel = recordingChannel();
  const errors: string[] = [];
  const acks = createAckCoalescer(channel, (_error, action) => errors.push(action));
  const messages = Array.from({ length: deliveries }, (_, index) => message(index + 1));
  for (const delivered of messages) acks.received(delivered);
  const at = (tag: number) => messages[tag - 1] as Tagged;
  return { channel, errors, acks, at };
}

describe("rabbitmq ack coalescer", () => {
  it("sends the acks of one turn as one multiple-ack, after the turn", async () => {
    const { channel, acks, at } = setUp(3);
    for (const tag of [2, 1, 3]) acks.ack(at(tag));
    assert.deepEqual(channel.frames, [], "nothing is sent within the turn");
    await nextTurn();
    assert.deepEqual(channel.frames, [{ ack: 3, multiple: true }]);
    await nextTurn();
    assert.equal(channel.frames.length, 1, "nothing more once flushed");
  });

  it("acks beyond a gap one by one, then the whole prefix once the gap settles", async () => {
    const { channel, acks, at } = setUp(7);
    for (const tag of [1, 2, 4, 5]) acks.ack(at(tag)); // 3 is still in flight (or in retry backoff), so are 6 and 7
    await nextTurn();
    assert.deepEqual(channel.frames, [
      { ack: 2, multiple: true },
      { ack: 4, multiple: false },
      { ack: 5, multiple: false },
    ]);
    channel.frames.length = 0;
    for (const tag of [6, 3]) acks.ack(at(tag)); // 4 and 5 were acked already: the multiple-ack covers 3 and 6
    await nextTurn();
    assert.deepEqual(channel.frames, [{ ack: 6, multiple: true }]);
  });

  it("never lets a multiple-ack reach an unsettled delivery", async () => {
    const { channel, acks, at } = setUp(3);
    acks.ack(at(2));
    acks.ack(at(3));
    await nextTurn();
    assert.deepEqual(channel.frames, [
      { ack: 2, multiple: false },
      { ack: 3, multiple: false },
    ]);
  });

  it("sends nacks at once and counts them as settled for the prefix", async () => {
    const { channel, acks, at } = setUp(5);
    acks.ack(at(1));
    acks.nack(at(2), true);
    acks.nack(at(3), false);
    assert.deepEqual(channel.frames, [
      { nack: 2, requeue: true },
      { nack: 3, requeue: false },
    ]);
    acks.ack(at(5));
    acks.ack(at(4));
    await nextTurn();
    assert.deepEqual(channel.frames.slice(2), [{ ack: 5, multiple: true }]);
  });

  it("starts fresh on a new channel and drops the pending acks of a closed one", async () => {
    const first = setUp(2);
    first.acks.ack(first.at(1));
    first.acks.close();
    first.acks.ack(first.at(2));
    first.acks.nack(first.at(2), true);
    const second = setUp(2); // the reconnected channel: delivery tags from 1 again
    second.acks.ack(second.at(2));
    second.acks.ack(second.at(1));
    await nextTurn();
    assert.deepEqual(first.channel.frames, [], "the broker requeues the closed channel's messages itself");
    assert.deepEqual(first.errors, ["ack", "nack"], "settling on a closed channel is reported");
    assert.deepEqual(second.channel.frames, [{ ack: 2, multiple: true }]);
  });

  it("flush() sends the pending acks at once (before the channel is closed)", async () => {
    const { channel, acks, at } = setUp(3);
    acks.ack(at(1));
    acks.ack(at(3));
    acks.flush();
    assert.deepEqual(channel.frames, [
      { ack: 1, multiple: true },
      { ack: 3, multiple: false },
    ]);
    await nextTurn();
    assert.equal(channel.frames.length, 2, "the scheduled flush finds nothing left");
  });

  it("drops the pending acks and never throws when the channel fails under it", async () => {
    const { channel, errors, acks, at } = setUp(2);
    acks.ack(at(1));
    channel.failing = true;
    await nextTurn();
    assert.deepEqual(errors, ["ack"]);
    channel.failing = false;
    acks.ack(at(2));
    await nextTurn();
    assert.deepEqual(channel.frames, [], "a channel that failed is treated as closed");
  });

  it("falls back to individual acks when the delivery tags are not consecutive", async () => {
    const channel = recordingChannel();
    const acks = createAckCoalescer(channel, () => undefined);
    for (const tag of [1, 2, 4]) acks.received(message(tag));
    for (const tag of [1, 2, 4]) acks.ack(message(tag));
    await nextTurn();
    assert.deepEqual(channel.frames, [
      { ack: 1, multiple: false },
      { ack: 2, multiple: false },
      { ack: 4, multiple: false },
    ]);
  });

  it("in random settle orders, acks each acked delivery exactly once and never one still unsettled", async () => {
    let seed = 42;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let round = 0; round < 50; round += 1) {
      const count = 1 + Math.floor(random() * 40);
      const { channel, acks, at } = setUp(count);
      const brokerUnacked = new Set(Array.from({ length: count }, (_, index) => index + 1));
      const settled = new Set<number>();
      const wantAcked = new Set<number>();
      const acked = new Set<number>();
      // Applies the frames the way the broker does, checking that every frame names a delivery it still holds.
      const apply = () => {
        for (const frame of channel.frames.splice(0)) {
          const tag = "ack" in frame ? frame.ack : frame.nack;
          assert.ok(brokerUnacked.has(tag), `frame for a delivery the broker no longer holds: ${tag}`);
          const covered = "ack" in frame && frame.multiple ? [...brokerUnacked].filter((t) => t <= tag) : [tag];
          for (const t of covered) {
            assert.ok(settled.has(t), `delivery ${t} acked while unsettled`);
            brokerUnacked.delete(t);
            if ("ack" in frame) acked.add(t);
          }
        }
      };
      const order = Array.from({ length: count }, (_, index) => index + 1).sort(() => random() - 0.5);
      for (const tag of order) {
        settled.add(tag);
        const roll = random();
        if (roll < 0.15) acks.nack(at(tag), roll < 0.1);
        else {
          acks.ack(at(tag));
          wantAcked.add(tag);
        }
        apply();
        if (random() < 0.3) {
          await nextTurn();
          apply();
        }
      }
      await nextTurn();
      apply();
      assert.deepEqual([...brokerUnacked], [], "everything settled reached the broker");
      assert.deepEqual(
        [...acked].sort((a, b) => a - b),
        [...wantAcked].sort((a, b) => a - b),
      );
    }
  });
});
