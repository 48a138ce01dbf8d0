/**
 * True when the JSON text nests arrays/objects deeper than `maxDepth`. A byte scan that skips strings, run before
 * JSON.parse: a body like `[[[[…]]]]` a million levels deep parses, but then overflows the stack where it is
 * walked (serialising `data`, evaluating filters) and would answer 500 instead of 400.
 */
export function jsonDepthExceeds(bytes: Uint8Array, maxDepth: number): boolean {
  let depth = 0;
  let inString = false;
  for (let index = 0; index < bytes.length; index++) {
    const byte = bytes[index];
    if (inString) {
      if (byte === 0x5c)
        index++; // backslash: skip the escaped character
      else if (byte === 0x22) inString = false;
    } else if (byte === 0x22) {
      inString = true;
    } else if (byte === 0x5b || byte === 0x7b) {
      depth++;
      if (depth > maxDepth) return true;
    } else if (byte === 0x5d || byte === 0x7d) {
      depth--;
    }
  }
  return false;
}
