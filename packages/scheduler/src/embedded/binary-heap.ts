/** A binary min-heap ordered by `before`. Stale entries are the caller's business (lazy invalidation). */
export class BinaryHeap<T> {
  readonly #items: T[] = [];
  readonly #before: (a: T, b: T) => boolean;

  constructor(before: (a: T, b: T) => boolean) {
    this.#before = before;
  }

  get size(): number {
    return this.#items.length;
  }

  peek(): T | undefined {
    return this.#items[0];
  }

  push(item: T): void {
    const items = this.#items;
    items.push(item);
    let index = items.length - 1;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (!this.#before(item, items[parent] as T)) break;
      items[index] = items[parent] as T;
      index = parent;
    }
    items[index] = item;
  }

  pop(): T | undefined {
    const items = this.#items;
    const top = items[0];
    const last = items.pop();
    if (items.length > 0 && last !== undefined) {
      let index = 0;
      const length = items.length;
      for (;;) {
        const left = 2 * index + 1;
        if (left >= length) break;
        const right = left + 1;
        const child = right < length && this.#before(items[right] as T, items[left] as T) ? right : left;
        if (!this.#before(items[child] as T, last)) break;
        items[index] = items[child] as T;
        index = child;
      }
      items[index] = last;
    }
    return top;
  }

  /** Removes every entry (used when all of a queue's due times change at once). */
  drain(): T[] {
    return this.#items.splice(0, this.#items.length);
  }
}
