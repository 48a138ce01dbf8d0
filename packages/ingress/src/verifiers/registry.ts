import type { VerifierDefinition } from "./verifier.js";
import { apiKeyVerifier } from "./verify-api-key.js";
import { basicAuthVerifier } from "./verify-basic-auth.js";
import { githubVerifier } from "./verify-github.js";
import { hmacVerifier } from "./verify-hmac.js";
import { shopifyVerifier } from "./verify-shopify.js";
import { slackVerifier } from "./verify-slack.js";
import { standardWebhooksVerifier } from "./verify-standard-webhooks.js";
import { stripeVerifier } from "./verify-stripe.js";
import { twilioVerifier } from "./verify-twilio.js";

/** Every verifier type by its config name. A new provider is one file and one line here. */
export const VERIFIERS: Readonly<Record<string, VerifierDefinition<object>>> = Object.freeze({
  "standard-webhooks": standardWebhooksVerifier,
  stripe: stripeVerifier,
  github: githubVerifier,
  shopify: shopifyVerifier,
  slack: slackVerifier,
  twilio: twilioVerifier,
  hmac: hmacVerifier,
  "basic-auth": basicAuthVerifier,
  "api-key": apiKeyVerifier,
});
