export type { CappedBody } from "./capped-body.js";
export { readCappedBody } from "./capped-body.js";
export { outcomeForStatus } from "./classify-response.js";
export type { PreparedEndpoint } from "./endpoint-validation.js";
export { prepareEndpoint, validateEndpoint } from "./endpoint-validation.js";
export { errorClassOf, SSRF_BLOCKED } from "./error-class.js";
export type { ResolvedAddress, ResolveHost } from "./guarded-connect.js";
export { systemResolver } from "./guarded-connect.js";
export type { HttpDelivery, HttpDeliveryOptions, SendOptions } from "./http-delivery.js";
export { createHttpDelivery, DEFAULT_MAX_RESPONSE_BODY_BYTES } from "./http-delivery.js";
export type { RequestHeaderOptions } from "./request-headers.js";
export { buildRequestHeaders, DEFAULT_USER_AGENT } from "./request-headers.js";
export { clampDelay, parseRetryAfter } from "./retry-after.js";
export type { Signer, SignerOptions, SignInput } from "./signer.js";
export { createSigner, signPayload } from "./signer.js";
export {
  ED25519_PUBLIC_PREFIX,
  ED25519_SECRET_PREFIX,
  generateSecret,
  generateSigningKeyPair,
  publicKeyFromSecret,
  publicKeyObject,
  SYMMETRIC_PREFIX,
} from "./signing-keys.js";
export type { BlockReason, SsrfGuard, SsrfGuardOptions } from "./ssrf-guard.js";
export { classifyAddress, createSsrfGuard } from "./ssrf-guard.js";
export type { WebhookBody } from "./webhook-body.js";
export { isJsonContentType, webhookBody } from "./webhook-body.js";
