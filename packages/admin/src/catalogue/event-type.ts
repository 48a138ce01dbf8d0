/** How an event's payload is checked against its type's schema at ingest and at the sources. */
export type PayloadValidation = "reject" | "warn" | "off";
export const PAYLOAD_VALIDATIONS: readonly PayloadValidation[] = ["reject", "warn", "off"];

/** A JSON Schema (draft 2020-12 unless its `$schema` names draft-07), as a plain JSON object. */
export type JsonSchema = Readonly<Record<string, unknown>>;

/**
 * One entry of the event-type catalogue: what an event of this type means and what its payload looks like.
 * Customers read it in the portal when they pick the types an endpoint subscribes to.
 */
export interface EventType {
  /** The envelope's `type`, exact (no globs), e.g. "invoice.paid". */
  readonly name: string;
  readonly description: string;
  /** Groups types in the portal, e.g. "Invoices". */
  readonly group?: string;
  /** JSON Schema of the payload (`data` as JSON). Without one, payloads of this type are not checked. */
  readonly schema?: JsonSchema;
  /** An example payload, shown in the portal and sent by its "send test event". */
  readonly example?: unknown;
  readonly deprecated: boolean;
  readonly validation: PayloadValidation;
}

/** An event type created through the admin API, as stored. */
export interface StoredEventType extends EventType {
  readonly createdAt: number;
  readonly updatedAt: number;
}

/** Type names: what an envelope type may be, without glob characters. */
export const EVENT_TYPE_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.:-]{0,255}$/;
/** Largest schema or example accepted through the admin API (JSON text). */
export const MAX_EVENT_TYPE_JSON_BYTES = 64 * 1024;
