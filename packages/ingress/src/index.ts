export type {
  CompiledRoutes,
  CompileRoutesOptions,
  RouteProblem,
  RouteValidation,
  Segments,
} from "./config/compile-routes.js";
export { compileRoutes } from "./config/compile-routes.js";
export { createConvictValidation } from "./config/convict-validation.js";
export { PROVIDER_EXAMPLES } from "./config/provider-examples.js";
export type { CompiledRule, IngressRoute, ValueSource } from "./config/route.js";
export type { RouteSettings, RuleSettings, ValueSourceSettings } from "./config/route-schema.js";
export {
  DEFAULT_CONCURRENCY,
  DEFAULT_DEDUP_TTL_MS,
  DEFAULT_MAX_BODY_BYTES,
  ROUTE_FREE_FORM_KEYS,
  RULE_FREE_FORM_KEYS,
  routeSchema,
  ruleSchema,
} from "./config/route-schema.js";
export type { AddressCheck } from "./pipeline/cidr-check.js";
export { createAddressCheck } from "./pipeline/cidr-check.js";
export type {
  ClientOrigin,
  ClientOriginResolver,
  ForwardedHeader,
  TrustProxyOptions,
} from "./pipeline/client-address.js";
export { createClientOriginResolver } from "./pipeline/client-address.js";
export type {
  DedupClaim,
  DedupStore,
  IngressAccept,
  IngressLogger,
  IngressMetrics,
  IngressOutcome,
  RateDecision,
  RateLimiter,
  RejectedLog,
  RejectedRequest,
} from "./pipeline/collaborators.js";
export { INGRESS_OUTCOMES } from "./pipeline/collaborators.js";
export type { IngressCounters } from "./pipeline/counters.js";
export { createIngressCounters } from "./pipeline/counters.js";
export type { RuleDocument } from "./pipeline/event-fields.js";
export type { MemoryDedupOptions } from "./pipeline/memory-dedup.js";
export { createMemoryDedup } from "./pipeline/memory-dedup.js";
export { createMemoryLimiter } from "./pipeline/memory-limiter.js";
export type { IngressRoutes, IngressRoutesOptions, TargetSizeCheck } from "./pipeline/register-ingress-routes.js";
export { registerIngressRoutes } from "./pipeline/register-ingress-routes.js";
export type { RingRejectedLog } from "./pipeline/rejected-log.js";
export { createRejectedLog } from "./pipeline/rejected-log.js";
export { DEFAULT_TOLERANCE_MS } from "./verifiers/common-keys.js";
export { VERIFIERS } from "./verifiers/registry.js";
export type {
  InboundRequest,
  IngressResponse,
  Verifier,
  VerifierDefinition,
  VerifyResult,
} from "./verifiers/verifier.js";
export type { ApiKeyOptions } from "./verifiers/verify-api-key.js";
export { apiKeyVerifier, parseApiKeyHeader } from "./verifiers/verify-api-key.js";
export type { BasicAuthOptions } from "./verifiers/verify-basic-auth.js";
export { basicAuthVerifier, parseBasicAuth } from "./verifiers/verify-basic-auth.js";
export type { GithubOptions } from "./verifiers/verify-github.js";
export { githubVerifier, parseGithubSignature } from "./verifiers/verify-github.js";
export type { HmacOptions } from "./verifiers/verify-hmac.js";
export { hmacVerifier, parseHmacSignature, parseSignedTemplate } from "./verifiers/verify-hmac.js";
export type { ShopifyOptions } from "./verifiers/verify-shopify.js";
export { parseShopifySignature, shopifyVerifier } from "./verifiers/verify-shopify.js";
export type { SlackOptions } from "./verifiers/verify-slack.js";
export { parseSlackSignature, slackVerifier } from "./verifiers/verify-slack.js";
export type { StandardSignature, StandardWebhooksOptions } from "./verifiers/verify-standard-webhooks.js";
export {
  isStandardWebhooksSecret,
  parseStandardSignatures,
  standardWebhooksVerifier,
} from "./verifiers/verify-standard-webhooks.js";
export type { StripeOptions, StripeSignatureHeader } from "./verifiers/verify-stripe.js";
export { parseStripeSignature, stripeVerifier } from "./verifiers/verify-stripe.js";
export type { TwilioOptions } from "./verifiers/verify-twilio.js";
export {
  parseTwilioSignature,
  twilioHashOf,
  twilioSignedText,
  twilioUrlCandidates,
  twilioVerifier,
} from "./verifiers/verify-twilio.js";
