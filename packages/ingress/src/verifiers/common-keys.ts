import type { IngressFormat } from "../config/formats.js";

/** Five minutes: what Stripe, Slack and Standard Webhooks recommend. */
export const DEFAULT_TOLERANCE_MS = 5 * 60 * 1000;

/** The `type` key every verifier schema starts with. */
export function typeKey<T extends string>(type: T) {
  return { doc: "Verifier type.", format: [type], default: type };
}

export function secretsKey(doc: string, format: IngressFormat) {
  return {
    doc: `${doc} Several during a rotation: a request signed with any of them is accepted. Use \${VAR} to keep them out of the file.`,
    format,
    default: [] as string[],
    sensitive: true,
  };
}

export function toleranceKey() {
  return {
    doc: "How far the signed timestamp may be from now, in the past or the future; outside it the request is a replay and rejected.",
    format: "duration",
    default: DEFAULT_TOLERANCE_MS,
  };
}
