import { appendIndex, appendKey } from "@hookyard/core";

/** A key path as segments: object keys and array indexes. */
export type Segments = readonly (string | number)[];

export function pathText(segments: Segments): string {
  let text = "";
  for (const segment of segments)
    text = typeof segment === "number" ? appendIndex(text, segment) : appendKey(text, segment);
  return text;
}

export function valueAt(root: unknown, segments: Segments): unknown {
  let value = root;
  for (const segment of segments) {
    if (value === null || typeof value !== "object") return undefined;
    if (!Object.hasOwn(value, segment)) return undefined;
    value = (value as Record<string | number, unknown>)[segment];
  }
  return value;
}
