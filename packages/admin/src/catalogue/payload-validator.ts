import type { Envelope } from "@hookyard/core";
import type { ValidateFunction } from "ajv";
import type { EventType, PayloadValidation } from "./event-type.js";
import { createSchemaCompiler, describeError, jsonPathOf } from "./schema-compiler.js";

/** A payload that does not match its type's schema (only reported for types validated `reject` or `warn`). */
export interface PayloadProblem {
  readonly type: string;
  readonly mode: Exclude<PayloadValidation, "off">;
  /** Where in the payload, as a JSON pointer ("/amount") and as JSONPath ("$.amount"). */
  readonly pointer: string;
  readonly path: string;
  /** "$.amount must be number". */
  readonly message: string;
}

export interface PayloadValidator {
  /** The first problem of the envelope's payload, or undefined when it is fine or its type is not checked. */
  check(envelope: Pick<Envelope, "type" | "data">): PayloadProblem | undefined;
}

/**
 * Checks payloads against the catalogue's schemas. Each schema is compiled once and kept until its type changes
 * (the catalogue is read per call, so admin API edits apply at once); types without a schema, types not in the
 * catalogue and types validated `off` pass unchecked.
 */
export function createPayloadValidator(eventType: (name: string) => EventType | undefined): PayloadValidator {
  const compiler = createSchemaCompiler();
  const compiled = new Map<string, { schema: unknown; validate: ValidateFunction | undefined }>();

  function validatorOf(type: EventType): ValidateFunction | undefined {
    const cached = compiled.get(type.name);
    if (cached !== undefined && cached.schema === type.schema) return cached.validate;
    // A schema the catalogue accepted always compiles; should one not, payloads are let through (and say so once).
    const result = type.schema === undefined ? undefined : compiler.compile(type.schema);
    const validate = result !== undefined && "validate" in result ? result.validate : undefined;
    compiled.set(type.name, { schema: type.schema, validate });
    return validate;
  }

  return {
    check(envelope) {
      const type = eventType(envelope.type);
      if (type === undefined || type.validation === "off" || type.schema === undefined) return undefined;
      const validate = validatorOf(type);
      if (validate === undefined) return undefined;
      const mode = type.validation;
      let payload: unknown;
      try {
        payload = JSON.parse(
          Buffer.from(envelope.data.buffer, envelope.data.byteOffset, envelope.data.length).toString("utf8"),
        );
      } catch {
        return { type: type.name, mode, pointer: "", path: "$", message: "$ is not JSON (the type has a JSON Schema)" };
      }
      if (validate(payload)) return undefined;
      const first = validate.errors?.[0];
      const pointer = first?.instancePath ?? "";
      const path = jsonPathOf(pointer);
      return {
        type: type.name,
        mode,
        pointer,
        path,
        message: `${path} ${first ? describeError(first) : "is invalid"}`,
      };
    },
  };
}
