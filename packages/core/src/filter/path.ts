/**
 * Dotted paths into JSON-like documents: `data.customer.id`, `data.items.0.sku`. Shared by filters and envelope
 * mappings. Only own properties are read (never `__proto__` or inherited ones). A path through an array visits
 * every element (Mongo-like); a numeric segment on an array picks one element.
 */
export interface CompiledPath {
  readonly text: string;
  readonly keys: readonly string[];
  /** Per segment: its array index when the segment is a non-negative integer, else -1. */
  readonly indexes: readonly number[];
}

const INDEX = /^(0|[1-9][0-9]{0,8})$/;
export const MAX_PATH_SEGMENTS = 32;

/** Returns the compiled path, or a string saying what is wrong with it. */
export function compilePath(text: string): CompiledPath | string {
  if (text.length === 0) return "an empty path";
  const keys = text.split(".");
  if (keys.length > MAX_PATH_SEGMENTS) return `a path deeper than ${MAX_PATH_SEGMENTS} segments`;
  if (keys.some((key) => key.length === 0)) return "a path with an empty segment";
  const indexes = keys.map((key) => (INDEX.test(key) ? Number(key) : -1));
  return Object.freeze({ text, keys: Object.freeze(keys), indexes: Object.freeze(indexes) });
}

/**
 * True when `test` holds for some value at `path`. Where the path ends on an array, the array itself and each of
 * its elements are tried. A missing path (or `undefined`) tests nothing, so the result is false.
 */
export function someValueAt(doc: unknown, path: CompiledPath, test: (value: unknown) => boolean): boolean {
  return visit(doc, path, 0, test);
}

function visit(value: unknown, path: CompiledPath, depth: number, test: (value: unknown) => boolean): boolean {
  if (value === undefined) return false;
  if (depth === path.keys.length) {
    if (test(value)) return true;
    if (Array.isArray(value)) {
      for (const element of value) if (element !== undefined && test(element)) return true;
    }
    return false;
  }
  if (value === null || typeof value !== "object") return false;
  if (Array.isArray(value)) {
    const index = path.indexes[depth] ?? -1;
    if (index >= 0) return index < value.length && visit(value[index], path, depth + 1, test);
    for (const element of value) {
      if (element !== null && typeof element === "object" && !Array.isArray(element)) {
        if (visit(element, path, depth, test)) return true;
      }
    }
    return false;
  }
  const key = path.keys[depth] as string;
  if (!Object.hasOwn(value, key)) return false;
  return visit((value as Record<string, unknown>)[key], path, depth + 1, test);
}

/** The first value at `path` (arrays are walked in order), or undefined. */
export function firstValueAt(doc: unknown, path: CompiledPath): unknown {
  let found: unknown;
  someValueAt(doc, path, (value) => {
    found = value;
    return true;
  });
  return found;
}
