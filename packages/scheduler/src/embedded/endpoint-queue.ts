import { BinaryHeap } from "./binary-heap.js";
import { Fifo } from "./fifo.js";
import type { DeliveryRecord } from "./records.js";

interface QueueEntry {
  readonly dueAt: number;
  readonly seq: number;
  readonly token: number;
  readonly delivery: DeliveryRecord;
}

/**
 * One endpoint's queued deliveries, by due time. Under per-key order only the head of each key's line sits in
 * the heap; the others wait in the line until the head is delivered or dead.
 */
export class EndpointQueue {
  readonly #heap = new BinaryHeap<QueueEntry>((a, b) => a.dueAt < b.dueAt || (a.dueAt === b.dueAt && a.seq < b.seq));
  readonly #lines = new Map<string, Fifo<DeliveryRecord>>();

  /** Adds a newly queued (or replayed) delivery; under per-key order it joins the end of its key's line. */
  add(delivery: DeliveryRecord): void {
    if (delivery.orderKey !== undefined) {
      let line = this.#lines.get(delivery.orderKey);
      if (line === undefined) {
        line = new Fifo();
        this.#lines.set(delivery.orderKey, line);
      }
      line.push(delivery);
      if (line.size > 1) return;
    }
    this.schedule(delivery);
  }

  /** Puts a delivery that is (still) at the head of its line back into the heap at its `dueAt`. */
  schedule(delivery: DeliveryRecord): void {
    delivery.queueToken += 1;
    this.#heap.push({ dueAt: delivery.dueAt, seq: delivery.seq, token: delivery.queueToken, delivery });
  }

  /** A delivery left for good (delivered, dead): the next one of its key may go. */
  finish(delivery: DeliveryRecord): void {
    if (delivery.orderKey === undefined) return;
    const line = this.#lines.get(delivery.orderKey);
    if (line?.peek() !== delivery) return;
    line.shift();
    const next = line.peek();
    if (next === undefined) this.#lines.delete(delivery.orderKey);
    else this.schedule(next);
  }

  /** Earliest due time of a deliverable head, if any. */
  headDueAt(): number | undefined {
    return this.#validTop()?.dueAt;
  }

  /** Takes the earliest delivery due at or before `now`. */
  popDue(now: number): DeliveryRecord | undefined {
    const top = this.#validTop();
    if (top === undefined || top.dueAt > now) return undefined;
    this.#heap.pop();
    return top.delivery;
  }

  /** Re-reads every queued head's `dueAt` (after they all changed, e.g. on enable). */
  rebuild(): void {
    for (const entry of this.#heap.drain()) {
      if (this.#isValid(entry)) this.schedule(entry.delivery);
    }
  }

  #validTop(): QueueEntry | undefined {
    for (;;) {
      const top = this.#heap.peek();
      if (top === undefined || this.#isValid(top)) return top;
      this.#heap.pop();
    }
  }

  #isValid(entry: QueueEntry): boolean {
    return entry.delivery.status === "queued" && entry.delivery.queueToken === entry.token;
  }
}
