import { type DescribedFormat, describeValue } from "@hookyard/core";
import convict, { type Schema } from "convict";
import type { ProblemCollector } from "./collect-problems.js";
import { describeFormat, expectationFromConvict } from "./describe-format.js";
import { type Segments, valueAt } from "./key-path.js";
import { isGroup, leafKind, type SchemaLeaf, schemaLeaves, schemaNodeAt } from "./schema-walk.js";
import { suggest } from "./suggest.js";

export interface SectionResult<T> {
  /** Convict's output: defaults applied, durations and sizes converted. */
  readonly value: T;
  /** False when this section had problems; the value is then the schema's defaults. */
  readonly ok: boolean;
}

/**
 * Validates one object against a convict schema with unknown keys refused, reporting every problem with its full
 * key path (`segments` + the key). Keys listed in `freeForm` (filters, mappings, connector configs, header maps)
 * are left out: convict cannot walk objects whose keys contain dots, and the caller validates them itself.
 */
export function validateSection<T>(
  schema: Schema<T>,
  input: unknown,
  segments: Segments,
  problems: ProblemCollector,
  freeForm: readonly string[] = [],
): SectionResult<T> {
  const before = problems.list().length;
  const given = input ?? {};
  if (typeof given !== "object" || Array.isArray(given)) {
    problems.add(segments, "an object", describeValue(input));
    return { value: defaultsOf(schema), ok: false };
  }
  const leaves = schemaLeaves(schema);
  const trimmed: Record<string, unknown> = { ...(given as Record<string, unknown>) };
  for (const key of freeForm) delete trimmed[key];
  const cleaned = coerceScalars(trimmed, segments, problems, leaves);

  const config = convict(schema, { env: {}, args: [] });
  try {
    config.load(cleaned);
    config.validate({ allowed: "strict", output: () => {} });
  } catch (error) {
    reportConvictErrors((error as Error).message, {
      freeForm,
      schema,
      given,
      segments,
      problems,
      leaves,
      config: config as unknown as { get(name: string): unknown },
    });
  }
  const ok = problems.list().length === before;
  // After a problem the loaded values may have any shape; callers get the defaults instead.
  return { value: ok ? config.getProperties() : defaultsOf(schema), ok };
}

function defaultsOf<T>(schema: Schema<T>): T {
  return convict(schema, { env: {}, args: [] }).getProperties();
}

const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * Convict turns any string into `true` for boolean keys (so `enabled: no` would mean true) and `parseFloat`s
 * numbers ("12abc" → 12). Strings from YAML or `${VAR}` are converted here strictly instead: "true"/"false" and
 * plain numbers only; anything else is a problem and the key falls back to its default.
 */
function coerceScalars(
  input: Record<string, unknown>,
  segments: Segments,
  problems: ProblemCollector,
  leaves: readonly SchemaLeaf[],
): Record<string, unknown> {
  const result = structuredCloneJson(input) as Record<string, unknown>;
  for (const leaf of leaves) {
    const kind = leafKind(leaf.spec);
    if (kind === "other") continue;
    const parent = valueAt(result, leaf.segments.slice(0, -1));
    if (parent === null || typeof parent !== "object" || Array.isArray(parent)) continue;
    const key = leaf.segments[leaf.segments.length - 1] as string;
    const holder = parent as Record<string, unknown>;
    const raw = holder[key];
    if (typeof raw !== "string") continue;
    if (kind === "list") {
      // Convict would try the string as JSON and fail with a parse error that names no key.
      problems.add(
        [...segments, ...leaf.segments],
        `a list, e.g. [${JSON.stringify(raw)}] (in brackets, or one "- item" per line)`,
        describeValue(raw, { sensitive: leaf.sensitive }),
      );
      delete holder[key];
    } else if (kind === "boolean" && /^(true|false)$/i.test(raw)) {
      holder[key] = raw.toLowerCase() === "true";
    } else if (kind === "number" && NUMBER.test(raw.trim())) {
      holder[key] = Number(raw.trim());
    } else {
      problems.add(
        [...segments, ...leaf.segments],
        describeFormat(leaf.spec),
        describeValue(raw, { sensitive: leaf.sensitive }),
      );
      delete holder[key];
    }
  }
  return result;
}

function structuredCloneJson(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(structuredCloneJson);
  if (value !== null && typeof value === "object") {
    const copy: Record<string, unknown> = {};
    for (const [key, member] of Object.entries(value)) copy[key] = structuredCloneJson(member);
    return copy;
  }
  return value;
}

interface ReportContext {
  readonly freeForm: readonly string[];
  readonly schema: Schema<unknown>;
  readonly given: object;
  readonly segments: Segments;
  readonly problems: ProblemCollector;
  readonly leaves: readonly SchemaLeaf[];
  readonly config: { get(name: string): unknown };
}

const UNDECLARED = /^configuration param '(.+)' not declared in the schema$/;
const MISSING = /^configuration param '(.+)' missing from config, did you override its parent\?$/;

/** Convict reports all problems in one message, a line each; each line becomes a located problem. */
function reportConvictErrors(message: string, context: ReportContext): void {
  const { problems, segments } = context;
  const byLength = [...context.leaves].sort((a, b) => b.name.length - a.name.length);
  for (const line of message.split("\n")) {
    if (line.trim() === "") continue;
    const undeclared = UNDECLARED.exec(line);
    if (undeclared?.[1] !== undefined) {
      reportUnknownKey(undeclared[1].split("."), context);
      continue;
    }
    const missing = MISSING.exec(line);
    if (missing?.[1] !== undefined) {
      reportOverriddenGroup(missing[1].split("."), context);
      continue;
    }
    const leaf = byLength.find((candidate) => line.startsWith(`${candidate.name}: `));
    if (leaf === undefined) {
      problems.add(segments, "a valid section", line);
      continue;
    }
    let rest = line.slice(leaf.name.length + 2);
    try {
      const suffix = `: value was ${JSON.stringify(context.config.get(leaf.name))}`;
      if (rest.endsWith(suffix)) rest = rest.slice(0, -suffix.length);
    } catch {
      // No value to strip.
    }
    const raw = valueAt(context.given, leaf.segments);
    const item = (leaf.spec.format as Partial<DescribedFormat> | undefined)?.item;
    const badIndex = item?.badIndex(raw);
    if (item !== undefined && badIndex !== undefined) {
      const member = (raw as unknown[])[badIndex];
      problems.add(
        [...segments, ...leaf.segments, badIndex],
        item.expected,
        describeValue(member, { sensitive: leaf.sensitive }),
      );
    } else {
      problems.add(
        [...segments, ...leaf.segments],
        expectationFromConvict(rest),
        describeValue(raw, { sensitive: leaf.sensitive }),
      );
    }
  }
}

function reportUnknownKey(name: readonly string[], context: ReportContext): void {
  for (let length = 1; length <= name.length; length++) {
    const prefix = name.slice(0, length);
    const node = schemaNodeAt(context.schema, prefix);
    if (node === undefined) {
      const parent = schemaNodeAt(context.schema, prefix.slice(0, -1));
      const known = isGroup(parent) ? Object.keys(parent) : [];
      if (length === 1) known.push(...context.freeForm.filter((key) => !known.includes(key)));
      const key = prefix[prefix.length - 1] as string;
      const hint = suggest(key, known);
      context.problems.add(
        [...context.segments, ...prefix],
        `one of the keys ${known.join(", ")}`,
        `the unknown key ${JSON.stringify(key)}${hint === undefined ? "" : ` (did you mean ${JSON.stringify(hint)}?)`}`,
      );
      return;
    }
    if (!isGroup(node)) {
      // A value where a single key was expected, e.g. `port: { a: 1 }`.
      const leaf = context.leaves.find((candidate) => candidate.name === prefix.join("."));
      const raw = valueAt(context.given, prefix);
      context.problems.add(
        [...context.segments, ...prefix],
        leaf === undefined ? "a single value" : describeFormat(leaf.spec),
        describeValue(raw, { sensitive: leaf?.sensitive ?? true }),
      );
      return;
    }
  }
}

function reportOverriddenGroup(name: readonly string[], context: ReportContext): void {
  for (let length = 1; length <= name.length; length++) {
    const prefix = name.slice(0, length);
    const raw = valueAt(context.given, prefix);
    if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
      const node = schemaNodeAt(context.schema, prefix);
      const keys = isGroup(node) ? ` with the keys ${Object.keys(node).join(", ")}` : "";
      context.problems.add([...context.segments, ...prefix], `an object${keys}`, describeValue(raw));
      return;
    }
  }
}
