/**
 * Tracks the messages of one partition handed out and not yet committable, in the order the partition gave them,
 * and yields the highest offset below which every one is done. Only that offset may be committed: committing past a
 * message that is not yet durable would skip it after a restart. Offsets need not be consecutive (compaction,
 * transaction markers): the order of `add` is what counts. Each completion carries a value (the commit handle of
 * that message); `complete` returns the value of the message that ends the done prefix.
 */
export interface ContiguousOffsets<T> {
  /** Registers the next message of the partition; offsets must grow. */
  add(offset: bigint): void;
  /** Marks a registered offset done; when the done prefix grew, returns the value of its last message. */
  complete(offset: bigint, value: T): T | undefined;
  /** Messages registered and not yet part of the done prefix. */
  readonly pending: number;
  /** The last offset registered (-1 before any). */
  readonly last: bigint;
}

export function createContiguousOffsets<T>(): ContiguousOffsets<T> {
  // A queue (array + head index, compacted now and then) of registered offsets; the done ones past the head wait
  // in a map until the head reaches them.
  let queue: bigint[] = [];
  let head = 0;
  let last = -1n;
  const done = new Map<bigint, T>();
  return {
    add(offset) {
      if (offset <= last) throw new RangeError(`offset ${offset} is not after ${last}`);
      queue.push(offset);
      last = offset;
    },
    complete(offset, value) {
      const first = queue[head];
      if (first === undefined || offset < first || offset > last || done.has(offset)) {
        throw new RangeError(`offset ${offset} is not pending here`);
      }
      if (offset !== first) {
        done.set(offset, value);
        return undefined;
      }
      let end = value;
      head += 1;
      for (let next = queue[head]; next !== undefined && done.has(next); next = queue[head]) {
        end = done.get(next) as T;
        done.delete(next);
        head += 1;
      }
      if (head > 1024 && head * 2 > queue.length) {
        queue = queue.slice(head);
        head = 0;
      }
      return end;
    },
    get pending() {
      return queue.length - head;
    },
    get last() {
      return last;
    },
  };
}
