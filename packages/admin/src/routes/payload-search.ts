import type { JsonValue } from "@hookyard/history";
import { invalid } from "../api-error.js";

/** Longest search text accepted (the history refuses containment patterns over 4096 bytes of JSON anyway). */
export const MAX_PAYLOAD_SEARCH = 2048;

const HELP =
  'payload must be a JSON fragment ({"customer":{"id":"c_42"}}) or key=value pairs (customer.id=c_42 status=paid)';
// key=value: a dotted path, then a value up to the next space; a value with spaces is written as a JSON string.
const PAIR = /^([^\s=]+)=("(?:[^"\\]|\\.)*"|\S*)(?:\s+|$)/;

/**
 * The delivery log's payload search, as the portal's search box and the `payload` query parameter take it: a JSON
 * fragment (`{…}` or `[…]`) matched by containment, or `key=value` pairs separated by spaces, where a dotted key
 * is a path into nested objects and a value is a JSON scalar when it parses as one (`42`, `true`, `null`,
 * `"quoted text"`), else a string. Both become one containment pattern; bad input is a 400 saying which form
 * was expected and what is wrong.
 */
export function parsePayloadSearch(text: string): JsonValue {
  const input = text.trim();
  if (input === "") throw invalid(`${HELP}; it is empty`);
  if (input.length > MAX_PAYLOAD_SEARCH) throw invalid(`payload is longer than ${MAX_PAYLOAD_SEARCH} characters`);
  if (input.startsWith("{") || input.startsWith("[")) {
    try {
      return JSON.parse(input) as JsonValue;
    } catch (error) {
      throw invalid(`${HELP}; the JSON does not parse: ${(error as Error).message}`);
    }
  }
  // Null-prototype objects: a key such as "__proto__" is a plain key here, as it is in JSON.
  const pattern: { [key: string]: JsonValue } = Object.create(null);
  let rest = input;
  while (rest !== "") {
    const match = PAIR.exec(rest);
    if (match === null) throw invalid(`${HELP}; cannot read "${rest.slice(0, 40)}"`);
    setPath(pattern, match[1] ?? "", scalarOf(match[2] ?? ""));
    rest = rest.slice(match[0].length);
  }
  return pattern;
}

function scalarOf(text: string): JsonValue {
  if (text.startsWith('"')) {
    try {
      return JSON.parse(text) as string;
    } catch (error) {
      throw invalid(`${HELP}; the quoted value ${text.slice(0, 40)} does not parse: ${(error as Error).message}`);
    }
  }
  if (text === "true" || text === "false" || text === "null" || /^-?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(text)) {
    return JSON.parse(text) as JsonValue;
  }
  return text;
}

function setPath(target: { [key: string]: JsonValue }, path: string, value: JsonValue): void {
  const keys = path.split(".");
  if (keys.some((key) => key === "")) throw invalid(`${HELP}; the key "${path}" has an empty segment`);
  let node = target;
  for (const key of keys.slice(0, -1)) {
    const next = node[key];
    if (next === undefined) node[key] = Object.create(null);
    else if (typeof next !== "object" || next === null || Array.isArray(next)) {
      throw invalid(`${HELP}; "${path}" goes inside a key that already has a value`);
    }
    node = node[key] as { [key: string]: JsonValue };
  }
  const last = keys.at(-1) ?? "";
  if (Object.hasOwn(node, last)) throw invalid(`${HELP}; "${path}" is given twice`);
  node[last] = value;
}
