import type { Schema } from "convict";

/** One documented key of a convict schema, as the validator and the reference generator see it. */
export interface SchemaLeaf {
  /** Dotted name inside the schema, e.g. "policy.retry.schedule". */
  readonly name: string;
  readonly segments: readonly string[];
  readonly spec: Readonly<Record<string, unknown>>;
  readonly sensitive: boolean;
}

type SchemaNode = Readonly<Record<string, unknown>>;

/** Convict's own rule: a non-empty plain object without `default` is a group of keys; anything else is a key. */
export function isGroup(node: unknown): node is SchemaNode {
  return (
    node !== null &&
    typeof node === "object" &&
    !Array.isArray(node) &&
    Object.keys(node).length > 0 &&
    !Object.hasOwn(node, "default")
  );
}

export function schemaLeaves(schema: Schema<unknown> | SchemaNode, prefix: readonly string[] = []): SchemaLeaf[] {
  const leaves: SchemaLeaf[] = [];
  for (const [key, node] of Object.entries(schema as SchemaNode)) {
    const segments = [...prefix, key];
    if (isGroup(node)) {
      leaves.push(...schemaLeaves(node, segments));
    } else {
      const spec: SchemaNode =
        node !== null && typeof node === "object" && !Array.isArray(node) ? (node as SchemaNode) : { default: node };
      leaves.push({ name: segments.join("."), segments, spec, sensitive: spec.sensitive === true });
    }
  }
  return leaves;
}

/** The node at `segments` (a group or a key), or undefined when the schema has no such key. */
export function schemaNodeAt(schema: Schema<unknown> | SchemaNode, segments: readonly string[]): unknown {
  let node: unknown = schema;
  for (const segment of segments) {
    if (!isGroup(node) || !Object.hasOwn(node, segment)) return undefined;
    node = node[segment];
  }
  return node;
}

/** The kind of value a key holds, from its format or its default, for coercion and docs. */
export function leafKind(spec: Readonly<Record<string, unknown>>): "boolean" | "number" | "list" | "other" {
  const format = spec.format;
  if (format === Array || format === "Array" || Array.isArray(spec.default)) return "list";
  if (typeof format === "function") {
    const kind = (format as { kind?: unknown }).kind;
    if (kind === "number" || kind === "boolean") return kind;
    if ((format as { item?: unknown }).item !== undefined) return "list";
  }
  if (format === Boolean || format === "Boolean") return "boolean";
  if (
    format === Number ||
    format === "Number" ||
    format === "int" ||
    format === "integer" ||
    format === "nat" ||
    format === "port"
  ) {
    return "number";
  }
  if (format === undefined) {
    if (typeof spec.default === "boolean") return "boolean";
    if (typeof spec.default === "number") return "number";
  }
  return "other";
}
