import { describeValue } from "../config/describe-value.js";
import { appendIndex, appendKey } from "../config/key-path.js";
import { jsonEquals } from "./equality.js";
import { specError } from "./filter-error.js";
import { type CompiledPath, compilePath, someValueAt } from "./path.js";
import { compileSafeRegex } from "./safe-regex.js";

/** A compiled filter. `matches` never throws: type mismatches and missing paths are simply non-matches. */
export interface Filter {
  matches(doc: unknown): boolean;
}

/**
 * The filter language, as written in JSON or YAML (see docs/routing.md):
 * `{ "data.status": "paid", "data.amount": { "$gte": 100 }, "$or": [ … ] }`.
 */
export type FilterSpec = Readonly<Record<string, unknown>>;

type Matcher = (doc: unknown) => boolean;
type ValueTest = (value: unknown) => boolean;

const FIELD_OPERATORS = [
  "$eq",
  "$neq",
  "$gt",
  "$gte",
  "$lt",
  "$lte",
  "$in",
  "$nin",
  "$exists",
  "$regex",
  "$not",
] as const;
const TOP_OPERATORS = ["$and", "$or", "$not"] as const;
const MAX_NESTING = 32;
const MAX_LIST = 1000;

const always: Matcher = () => true;
const exists: ValueTest = () => true;

/**
 * Validates `spec` up front and compiles it to closures, so matching does no parsing. Throws a `HookyardError`
 * (code CONFIG_INVALID) whose message starts with `where` and names the bad operator or path.
 */
export function compileFilter(spec: unknown, where: string): Filter {
  const matcher = compileDocument(spec, where, "", 0);
  return Object.freeze({ matches: matcher });
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function compileDocument(spec: unknown, where: string, at: string, depth: number): Matcher {
  if (!isPlainObject(spec)) throw specError(where, at, "a filter object", describeValue(spec));
  if (depth > MAX_NESTING) throw specError(where, at, `filters nested at most ${MAX_NESTING} deep`, "deeper nesting");
  const matchers: Matcher[] = [];
  for (const [key, value] of Object.entries(spec)) {
    const keyAt = appendKey(at, key);
    if (key.startsWith("$")) {
      matchers.push(compileTopOperator(key, value, where, keyAt, depth));
    } else {
      const path = compilePath(key);
      if (typeof path === "string") throw specError(where, keyAt, "a dotted path such as data.status", path);
      matchers.push(compileCondition(path, value, where, keyAt, depth));
    }
  }
  return allOf(matchers);
}

function compileTopOperator(operator: string, operand: unknown, where: string, at: string, depth: number): Matcher {
  switch (operator) {
    case "$and":
    case "$or": {
      if (!Array.isArray(operand) || operand.length === 0 || operand.length > MAX_LIST) {
        throw specError(where, at, `a list of 1 to ${MAX_LIST} filters`, describeValue(operand));
      }
      const parts = operand.map((item, i) => compileDocument(item, where, appendIndex(at, i), depth + 1));
      return operator === "$and" ? allOf(parts) : anyOf(parts);
    }
    case "$not": {
      const inner = compileDocument(operand, where, at, depth + 1);
      return (doc) => !inner(doc);
    }
    default:
      throw specError(where, at, `a path or one of ${TOP_OPERATORS.join(", ")}`, JSON.stringify(operator));
  }
}

/** A path's condition: a literal (implicit `$eq`) or an object of operators (implicit `$and`). */
function compileCondition(path: CompiledPath, condition: unknown, where: string, at: string, depth: number): Matcher {
  if (!isPlainObject(condition)) {
    const test = equalsTest(condition, where, at);
    return (doc) => someValueAt(doc, path, test);
  }
  const keys = Object.keys(condition);
  const fieldKey = keys.find((key) => !key.startsWith("$"));
  if (keys.length === 0 || fieldKey !== undefined) {
    // A nested object here is almost always a mistaken nested path; whole-object equality is spelled $eq.
    throw specError(
      where,
      at,
      `operators (${FIELD_OPERATORS.join(", ")}); write nested fields as a dotted path ("data.status") or use $eq for a whole object`,
      fieldKey === undefined ? "an empty object" : `the key ${JSON.stringify(fieldKey)}`,
    );
  }
  if (depth > MAX_NESTING) throw specError(where, at, `filters nested at most ${MAX_NESTING} deep`, "deeper nesting");
  return allOf(keys.map((operator) => compileOperator(path, operator, condition[operator], where, at, depth)));
}

function compileOperator(
  path: CompiledPath,
  operator: string,
  operand: unknown,
  where: string,
  parentAt: string,
  depth: number,
): Matcher {
  const at = appendKey(parentAt, operator);
  const some = (test: ValueTest): Matcher => {
    return (doc) => someValueAt(doc, path, test);
  };
  const none = (test: ValueTest): Matcher => {
    return (doc) => !someValueAt(doc, path, test);
  };
  switch (operator) {
    case "$eq":
      return some(equalsTest(operand, where, at));
    case "$neq":
      return none(equalsTest(operand, where, at));
    case "$gt":
    case "$gte":
    case "$lt":
    case "$lte":
      return some(comparisonTest(operator, operand, where, at));
    case "$in":
      return some(inTest(operand, where, at));
    case "$nin":
      return none(inTest(operand, where, at));
    case "$exists":
      if (typeof operand !== "boolean") throw specError(where, at, "true or false", describeValue(operand));
      return operand ? some(exists) : none(exists);
    case "$regex": {
      const regex = compileSafeRegex(operand, where, at);
      return some((value) => typeof value === "string" && regex.test(value));
    }
    case "$not": {
      const inner = compileCondition(path, operand, where, at, depth + 1);
      return (doc) => !inner(doc);
    }
    default:
      throw specError(where, at, `one of ${FIELD_OPERATORS.join(", ")}`, JSON.stringify(operator));
  }
}

function checkJsonValue(value: unknown, where: string, at: string): void {
  const kind = typeof value;
  if (value === null || kind === "string" || kind === "boolean") return;
  if (kind === "number") {
    if (Number.isFinite(value)) return;
  } else if (kind === "object") {
    // Arrays and objects: every member must be a JSON value too.
    for (const [key, member] of Object.entries(value as object)) checkJsonValue(member, where, appendKey(at, key));
    return;
  }
  throw specError(where, at, "a JSON value", describeValue(value));
}

function equalsTest(operand: unknown, where: string, at: string): ValueTest {
  checkJsonValue(operand, where, at);
  if (operand === null || typeof operand !== "object") return (value) => value === operand;
  return (value) => jsonEquals(value, operand);
}

function inTest(operand: unknown, where: string, at: string): ValueTest {
  if (!Array.isArray(operand) || operand.length > MAX_LIST) {
    throw specError(where, at, `a list of at most ${MAX_LIST} values`, describeValue(operand));
  }
  checkJsonValue(operand, where, at);
  if (operand.every((item) => item === null || typeof item !== "object")) {
    const members = new Set<unknown>(operand);
    return (value) => members.has(value);
  }
  return (value) => operand.some((item) => jsonEquals(value, item));
}

/** Numbers compare with numbers, strings with strings (UTF-16 code units, so ISO timestamps sort by time). */
function comparisonTest(operator: "$gt" | "$gte" | "$lt" | "$lte", operand: unknown, where: string, at: string) {
  const kind = typeof operand;
  if (!((kind === "number" && Number.isFinite(operand)) || kind === "string")) {
    throw specError(where, at, "a number or a string", describeValue(operand));
  }
  const bound = operand as number | string;
  switch (operator) {
    case "$gt":
      return (value: unknown) => typeof value === kind && (value as typeof bound) > bound;
    case "$gte":
      return (value: unknown) => typeof value === kind && (value as typeof bound) >= bound;
    case "$lt":
      return (value: unknown) => typeof value === kind && (value as typeof bound) < bound;
    case "$lte":
      return (value: unknown) => typeof value === kind && (value as typeof bound) <= bound;
  }
}

function allOf(matchers: readonly Matcher[]): Matcher {
  if (matchers.length === 0) return always;
  if (matchers.length === 1) return matchers[0] as Matcher;
  return (doc) => {
    for (const matcher of matchers) if (!matcher(doc)) return false;
    return true;
  };
}

function anyOf(matchers: readonly Matcher[]): Matcher {
  if (matchers.length === 1) return matchers[0] as Matcher;
  return (doc) => {
    for (const matcher of matchers) if (matcher(doc)) return true;
    return false;
  };
}
