import { describeValue } from "../config/describe-value.js";
import { appendIndex, appendKey } from "../config/key-path.js";
import { specError } from "../filter/filter-error.js";
import { type CompiledPath, compilePath, firstValueAt } from "../filter/path.js";

/**
 * Where one envelope field comes from:
 * - `{ header: "ce-type" }` / `{ attribute: "type" }`: a message header or broker attribute (the same string map;
 *   names are case-insensitive).
 * - `{ jsonPath: "data.type" }`: a dotted path into the JSON body (the body is the root; no `$.` prefix).
 * - `{ value: "order.created" }`: a constant.
 * - `{ broker: "id" | "key" | "time" }`: what the broker provides (message id, message key, publish time).
 * A list tries each in order and takes the first one found.
 */
export type ValueSource =
  | { readonly header: string }
  | { readonly attribute: string }
  | { readonly jsonPath: string }
  | { readonly value: string }
  | { readonly broker: BrokerValue };

export type BrokerValue = "id" | "key" | "time";
export type ValueSpec = ValueSource | readonly ValueSource[];

/** What a source connector hands to the mapping for one broker message. */
export interface SourceMessage {
  /** The payload, byte-exact. */
  readonly data: Uint8Array;
  /** Headers or attributes (any case). */
  readonly headers: Readonly<Record<string, string>>;
  /** The envelope's `source`, e.g. "kafka:orders". */
  readonly source: string;
  readonly contentType?: string;
  /** What the broker provides: message id, message key (Kafka key, SQS group id), publish time. */
  readonly defaults?: {
    readonly id?: string;
    readonly key?: string;
    readonly time?: string | Date;
    /** De-duplication key from the broker's coordinates; copied to the envelope. */
    readonly idempotencyKey?: string;
  };
}

/** Per-message state: the JSON body, parsed at most once and only when a JSON path asks for it. */
export interface MessageView {
  readonly message: SourceMessage;
  header(lowerCaseName: string): string | undefined;
  /** `undefined` when the body is not JSON. */
  json(): { readonly ok: true; readonly value: unknown } | { readonly ok: false };
}

/** A compiled value source: returns the raw value found (string, number, boolean, Date) or undefined. */
export interface CompiledValueSource {
  readonly label: string;
  /** Lenient sources (built-in defaults) treat an unparsable body as "not found" instead of rejecting it. */
  readonly strictJson: boolean;
  readonly usesJson: boolean;
  read(view: MessageView): unknown;
}

const KINDS = ["header", "attribute", "jsonPath", "value", "broker"] as const;
const BROKER_VALUES: readonly BrokerValue[] = ["id", "key", "time"];
const MAX_CHAIN = 8;

export function compileValueSpec(spec: unknown, where: string): readonly CompiledValueSource[] {
  if (Array.isArray(spec)) {
    if (spec.length === 0 || spec.length > MAX_CHAIN) {
      throw specError(where, "", `a value source or a list of 1 to ${MAX_CHAIN}`, describeValue(spec));
    }
    return spec.map((item, i) => compileValueSource(item, appendIndex(where, i), true));
  }
  return [compileValueSource(spec, where, true)];
}

export function compileValueSource(spec: unknown, where: string, strictJson: boolean): CompiledValueSource {
  const expected = `one of ${KINDS.map((kind) => `{ ${kind}: … }`).join(", ")}`;
  if (spec === null || typeof spec !== "object" || Array.isArray(spec)) {
    throw specError(where, "", expected, describeValue(spec));
  }
  const keys = Object.keys(spec);
  const kind = keys[0];
  if (keys.length !== 1 || kind === undefined || !(KINDS as readonly string[]).includes(kind)) {
    throw specError(where, "", expected, keys.length === 1 ? `the key ${JSON.stringify(kind)}` : describeValue(spec));
  }
  const at = appendKey(where, kind);
  const operand: unknown = (spec as Record<string, unknown>)[kind];
  if (typeof operand !== "string" || operand.length === 0) {
    throw specError(at, "", "a non-empty string", describeValue(operand));
  }
  switch (kind) {
    case "header":
    case "attribute": {
      const name = operand.toLowerCase();
      return { label: `${kind} ${operand}`, strictJson, usesJson: false, read: (view) => view.header(name) };
    }
    case "jsonPath":
      return jsonSource(operand, at, strictJson);
    case "value":
      return { label: "constant", strictJson, usesJson: false, read: () => operand };
    default: {
      if (!(BROKER_VALUES as readonly string[]).includes(operand)) {
        throw specError(at, "", `one of ${BROKER_VALUES.join(", ")}`, JSON.stringify(operand));
      }
      const name = operand as BrokerValue;
      return { label: `broker ${name}`, strictJson, usesJson: false, read: (view) => view.message.defaults?.[name] };
    }
  }
}

function jsonSource(text: string, at: string, strictJson: boolean): CompiledValueSource {
  if (text.startsWith("$")) {
    throw specError(
      at,
      "",
      `a dotted path into the JSON body such as "data.type" (no "$." prefix)`,
      JSON.stringify(text),
    );
  }
  const path: CompiledPath | string = compilePath(text);
  if (typeof path === "string") throw specError(at, "", "a dotted path such as data.type", path);
  return {
    label: `jsonPath ${text}`,
    strictJson,
    usesJson: true,
    read: (view) => {
      const body = view.json();
      return body.ok ? firstValueAt(body.value, path) : undefined;
    },
  };
}
