/**
 * Tracks which messages of one partition batch are done, in any order, and yields the highest offset below which
 * every message is done. Only that offset may be committed: committing past a message that is not yet durable
 * would skip it after a restart.
 */
export interface ContiguousOffsets {
  /** Marks message `index` (position in the batch) done; returns the offset to resolve when the done prefix grew. */
  complete(index: number): string | undefined;
  /** How many messages from the start of the batch are done. */
  readonly prefix: number;
}

export function createContiguousOffsets(offsets: readonly string[]): ContiguousOffsets {
  const done = new Array<boolean>(offsets.length).fill(false);
  let prefix = 0;
  return {
    complete(index) {
      if (index < 0 || index >= offsets.length) throw new RangeError(`no message ${index} in this batch`);
      done[index] = true;
      if (index !== prefix) return undefined;
      while (prefix < offsets.length && done[prefix]) prefix += 1;
      return offsets[prefix - 1];
    },
    get prefix() {
      return prefix;
    },
  };
}
