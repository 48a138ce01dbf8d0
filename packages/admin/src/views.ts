import { createHash } from "node:crypto";
import { type Envelope, redactHeaders } from "@hookyard/core";
import type { ManagedEndpoint } from "./state/endpoint-registry.js";

/** An endpoint as the API shows it: secrets reduced to a fingerprint and expiry, credential headers hidden. */
export function endpointView(managed: ManagedEndpoint) {
  const { endpoint } = managed;
  return {
    id: endpoint.id,
    owner: endpoint.owner,
    url: endpoint.url,
    enabled: endpoint.enabled,
    payload: endpoint.payload ?? "standard",
    source: managed.source,
    eventTypes: [...managed.eventTypes],
    ...(managed.description === undefined ? {} : { description: managed.description }),
    headers: redactHeaders(endpoint.headers),
    secrets: endpoint.secrets.map((secret) => ({
      fingerprint: fingerprint(secret.secret),
      ...(secret.expiresAt === undefined ? {} : { expiresAt: secret.expiresAt }),
    })),
    policy: {
      concurrency: endpoint.policy.concurrency,
      timeoutMs: endpoint.policy.timeoutMs,
      orderedByKey: endpoint.policy.orderedByKey,
      ...(endpoint.policy.rateLimit === undefined ? {} : { rateLimit: endpoint.policy.rateLimit }),
      retryScheduleMs: [...endpoint.policy.retry.scheduleMs],
    },
    ...(managed.createdAt === undefined ? {} : { createdAt: new Date(managed.createdAt).toISOString() }),
    ...(managed.updatedAt === undefined ? {} : { updatedAt: new Date(managed.updatedAt).toISOString() }),
  };
}

/** Identifies a secret without revealing it. */
export function fingerprint(secret: string): string {
  return `sha256:${createHash("sha256").update(secret).digest("hex").slice(0, 12)}`;
}

/** An envelope for JSON: the payload as text when it is UTF-8, else base64. */
export function envelopeView(envelope: Envelope) {
  const text = decodeUtf8(envelope.data);
  return {
    id: envelope.id,
    source: envelope.source,
    type: envelope.type,
    time: envelope.time,
    contentType: envelope.contentType,
    headers: envelope.headers,
    ...(envelope.subject === undefined ? {} : { subject: envelope.subject }),
    ...(envelope.key === undefined ? {} : { key: envelope.key }),
    ...(text === undefined ? { dataBase64: Buffer.from(envelope.data).toString("base64") } : { data: text }),
  };
}

function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

export function iso(ms: number | undefined): string | undefined {
  return ms === undefined ? undefined : new Date(ms).toISOString();
}
