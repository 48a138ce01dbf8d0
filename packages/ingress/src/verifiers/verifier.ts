import type { Schema } from "convict";

/** One inbound HTTP request as a verifier sees it: the raw bytes, never a re-serialized body. */
export interface InboundRequest {
  readonly method: string;
  /** The full external URL as the provider called it (scheme, host, port, path and query as received). */
  readonly url: string;
  /** Lower-case names; repeated headers joined with ", " (as Node does). */
  readonly headers: Readonly<Record<string, string>>;
  readonly rawBody: Buffer;
  readonly query: Readonly<Record<string, string | readonly string[]>>;
}

/** An answer sent instead of publishing (Slack's url_verification challenge) or as the success body (Twilio). */
export interface IngressResponse {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
}

export type VerifyResult =
  | {
      readonly ok: true;
      /** The provider's id for the event, stable across its retries: the de-duplication key. */
      readonly eventId?: string;
      readonly eventType?: string;
      /** Answer this and publish nothing (a handshake, not an event). */
      readonly respond?: IngressResponse;
    }
  | {
      readonly ok: false;
      /** Why, for the rejected-request log and debug logs. Never contains a secret or a signature. */
      readonly reason: string;
    };

export interface Verifier {
  /** `now` is Unix milliseconds. Never throws: anything missing or malformed is `{ ok: false }`. */
  verify(request: InboundRequest, now: number): VerifyResult;
}

/**
 * A verifier type: its config keys (a convict schema, `type`, `secrets` and `tolerance` included) and a
 * constructor. `create` receives the validated options and throws a CONFIG_INVALID `HookyardError` for what the
 * schema cannot check. Adding a provider = one file exporting a definition + one line in the registry.
 */
export interface VerifierDefinition<Options = Record<string, unknown>> {
  readonly type: string;
  readonly schema: Schema<Options>;
  /** Request headers that carry credentials or signatures: redacted in the rejected log, never forwarded. */
  sensitiveHeaders(options: Options): readonly string[];
  /** Provider headers worth keeping on the envelope (event type, id, delivery details). */
  readonly keepHeaders: readonly string[];
  /** What answers a successfully accepted request, when the provider wants more than an empty 200. */
  readonly ackResponse?: IngressResponse;
  create(options: Options): Verifier;
}

export function rejected(reason: string): VerifyResult {
  return { ok: false, reason };
}
