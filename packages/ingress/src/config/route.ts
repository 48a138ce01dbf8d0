import type { CompiledPath, Filter, TypePattern } from "@hookyard/core";
import type { IngressResponse, Verifier } from "../verifiers/verifier.js";

/** Where an event's id or type comes from when the route overrides the verifier's. */
export type ValueSource =
  | { readonly header: string }
  | { readonly jsonPath: CompiledPath }
  | { readonly value: string };

export interface CompiledRule {
  readonly filter?: Filter;
  readonly types: readonly TypePattern[];
  readonly targets: readonly string[];
}

/** One validated, compiled ingress route: everything the request pipeline needs, nothing parsed per request. */
export interface IngressRoute {
  readonly id: string;
  readonly path: string;
  readonly enabled: boolean;
  /** Origin the provider calls (no trailing slash), when set in the config. */
  readonly publicUrl?: string;
  readonly verifierType: string;
  readonly verifier: Verifier;
  /** Lower-case headers never logged unredacted nor forwarded (signatures, credentials). */
  readonly sensitiveHeaders: ReadonlySet<string>;
  /** Lower-case headers copied onto the envelope. */
  readonly keepHeaders: readonly string[];
  readonly ackResponse?: IngressResponse;
  readonly limits: {
    readonly maxBodyBytes: number;
    readonly ratePerSecond?: number;
    readonly burst?: number;
    readonly concurrency?: number;
    readonly allowCidrs: readonly string[];
    readonly denyCidrs: readonly string[];
  };
  readonly dedup: { readonly enabled: boolean; readonly ttlMs: number };
  readonly rules: readonly CompiledRule[];
  readonly defaultTargets: readonly string[];
  readonly eventType?: ValueSource;
  readonly eventId?: ValueSource;
}
