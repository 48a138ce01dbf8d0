import assert from "node:assert/strict";
import { createHmac, randomBytes } from "node:crypto";
import { describe, test } from "node:test";
import fc from "fast-check";
import { requestOf, verifierFrom } from "../test-support.js";
import { checkTimestamp } from "./timestamp.js";
import type { Verifier } from "./verifier.js";
import { apiKeyVerifier, parseApiKeyHeader } from "./verify-api-key.js";
import { basicAuthVerifier, parseBasicAuth } from "./verify-basic-auth.js";
import { githubVerifier, parseGithubSignature } from "./verify-github.js";
import { hmacVerifier, parseHmacSignature, parseSignedTemplate } from "./verify-hmac.js";
import { parseShopifySignature, shopifyVerifier } from "./verify-shopify.js";
import { parseSlackSignature, slackVerifier } from "./verify-slack.js";
import { parseStandardSignatures, standardWebhooksVerifier } from "./verify-standard-webhooks.js";
import { parseStripeSignature, stripeVerifier } from "./verify-stripe.js";
import { parseTwilioSignature, twilioHashOf, twilioVerifier } from "./verify-twilio.js";

const RUNS = { numRuns: 400 };
const NOW = Date.UTC(2026, 0, 2, 3, 4, 5);
const TS = String(Math.floor(NOW / 1000));

/** Header-like text: arbitrary unicode, plus strings built from the characters signature headers are made of. */
const headerText = fc.oneof(
  fc.string({ maxLength: 300, unit: "grapheme" }),
  fc.string({ maxLength: 300, unit: fc.constantFrom(..."v01a=,t.: +/=-_sha256SHAbcdef9xX\t".split("")) }),
  fc.stringMatching(/^(t=\d{1,12},)?(v[01a]{1,2}[=,][0-9A-Za-z+/=]{0,100}[ ,]?){0,4}$/),
);

describe("signature header parsers never throw on any input", () => {
  const parsers: [string, (text: string) => unknown][] = [
    ["standard-webhooks", parseStandardSignatures],
    ["stripe", parseStripeSignature],
    ["github", parseGithubSignature],
    ["shopify", parseShopifySignature],
    ["slack", parseSlackSignature],
    ["twilio", parseTwilioSignature],
    ["twilio settings", twilioHashOf],
    ["hmac hex", (text) => parseHmacSignature(text, "sha256=", "hex")],
    ["hmac base64", (text) => parseHmacSignature(text, "", "base64")],
    ["hmac template", parseSignedTemplate],
    ["basic auth", parseBasicAuth],
    ["api key", (text) => parseApiKeyHeader(text, "Bearer")],
    ["timestamp", (text) => checkTimestamp(text, NOW, 300_000)],
  ];
  for (const [name, parse] of parsers) {
    test(name, () => {
      fc.assert(
        fc.property(headerText, (text) => {
          parse(text);
        }),
        RUNS,
      );
    });
  }
});

/** Each verifier with the headers a valid request carries, where `signature` is the fuzzed value. */
const BODY = Buffer.from(JSON.stringify({ id: "evt_1", type: "x.y" }));
const WHSEC = `whsec_${randomBytes(32).toString("base64")}`;
const FORM = { "content-type": "application/x-www-form-urlencoded" };
const hex = (mac: Buffer | undefined) => mac?.toString("hex");
interface Case {
  name: string;
  verifier: Verifier;
  headers: (signature: string) => Record<string, string>;
  valid: () => string;
  /** The MAC(s) or credential a header value presents, decoded: acceptance is allowed only when it holds the valid one. */
  presented: (text: string) => string | undefined;
}
const cases: Case[] = [
  {
    name: "standard-webhooks",
    verifier: verifierFrom(standardWebhooksVerifier, { secrets: [WHSEC] }),
    headers: (signature) => ({ "webhook-id": "msg_1", "webhook-timestamp": TS, "webhook-signature": signature }),
    presented: (text) =>
      parseStandardSignatures(text)
        ?.map((entry) => `${entry.version}:${hex(entry.signature)}`)
        .join(" "),
    valid: () =>
      `v1,${createHmac("sha256", Buffer.from(WHSEC.slice(6), "base64"))
        .update(`msg_1.${TS}.`)
        .update(BODY)
        .digest("base64")}`,
  },
  {
    name: "stripe",
    verifier: verifierFrom(stripeVerifier, { secrets: ["whsec_stripe_secret"] }),
    headers: (signature) => ({ "stripe-signature": signature }),
    presented: (text) => {
      const parsed = parseStripeSignature(text);
      return parsed && `${parsed.timestamp}:${parsed.v1.map(hex).join(" ")}`;
    },
    valid: () =>
      `t=${TS},v1=${createHmac("sha256", "whsec_stripe_secret").update(`${TS}.`).update(BODY).digest("hex")}`,
  },
  {
    name: "github",
    verifier: verifierFrom(githubVerifier, { secrets: ["github-secret"] }),
    headers: (signature) => ({ "x-hub-signature-256": signature }),
    presented: (text) => hex(parseGithubSignature(text)),
    valid: () => `sha256=${createHmac("sha256", "github-secret").update(BODY).digest("hex")}`,
  },
  {
    name: "shopify",
    verifier: verifierFrom(shopifyVerifier, { secrets: ["shopify-secret"] }),
    headers: (signature) => ({ "x-shopify-hmac-sha256": signature }),
    presented: (text) => hex(parseShopifySignature(text)),
    valid: () => createHmac("sha256", "shopify-secret").update(BODY).digest("base64"),
  },
  {
    name: "slack",
    verifier: verifierFrom(slackVerifier, { secrets: ["slack-secret"] }),
    headers: (signature) => ({ "x-slack-signature": signature, "x-slack-request-timestamp": TS }),
    presented: (text) => hex(parseSlackSignature(text)),
    valid: () => `v0=${createHmac("sha256", "slack-secret").update(`v0:${TS}:`).update(BODY).digest("hex")}`,
  },
  {
    name: "twilio",
    verifier: verifierFrom(twilioVerifier, { secrets: ["twilio-token"] }),
    // The body read as a form: one parameter named after the whole JSON text, with an empty value.
    headers: (signature) => ({ "x-twilio-signature": signature, ...FORM }),
    presented: (text) => hex(parseTwilioSignature(text)),
    valid: () =>
      createHmac("sha1", "twilio-token")
        .update(`https://hooks.example.com/ingress/test${BODY.toString()}`)
        .digest("base64"),
  },
  {
    name: "hmac",
    verifier: verifierFrom(hmacVerifier, { secrets: ["hmac-secret"], header: "x-sig", prefix: "sha256=" }),
    headers: (signature) => ({ "x-sig": signature }),
    presented: (text) => hex(parseHmacSignature(text, "sha256=", "hex")),
    valid: () => `sha256=${createHmac("sha256", "hmac-secret").update(BODY).digest("hex")}`,
  },
  {
    name: "basic-auth",
    verifier: verifierFrom(basicAuthVerifier, { secrets: ["user:password-1"] }),
    headers: (signature) => ({ authorization: signature }),
    presented: (text) => parseBasicAuth(text),
    valid: () => `Basic ${Buffer.from("user:password-1").toString("base64")}`,
  },
  {
    name: "api-key",
    verifier: verifierFrom(apiKeyVerifier, { secrets: ["key-0123456789abcdef"] }),
    headers: (signature) => ({ "x-api-key": signature }),
    presented: (text) => parseApiKeyHeader(text, null),
    valid: () => "key-0123456789abcdef",
  },
];

describe("no acceptance without a valid MAC", () => {
  for (const { name, verifier, headers, valid, presented } of cases) {
    test(`${name}: the valid header is accepted (sanity)`, () => {
      const result = verifier.verify(requestOf({ body: BODY, headers: headers(valid()) }), NOW);
      assert.equal(result.ok, true, JSON.stringify(result));
    });

    test(`${name}: arbitrary header values are rejected, never throw`, () => {
      const correct = valid();
      fc.assert(
        fc.property(headerText, (text) => {
          const result = verifier.verify(requestOf({ body: BODY, headers: headers(text) }), NOW);
          // Only a value presenting the valid MAC (possibly spelled differently, e.g. hex case) may pass.
          if (result.ok) assert.ok(presented(text)?.includes(presented(correct) as string));
        }),
        RUNS,
      );
    });

    test(`${name}: mutations of the valid header are rejected unless they keep the MAC`, () => {
      const correct = valid();
      fc.assert(
        fc.property(fc.nat({ max: correct.length - 1 }), fc.string({ minLength: 1, maxLength: 3 }), (at, insert) => {
          const mutated = correct.slice(0, at) + insert + correct.slice(at + 1);
          const result = verifier.verify(requestOf({ body: BODY, headers: headers(mutated) }), NOW);
          if (result.ok) assert.ok(presented(mutated)?.includes(presented(correct) as string));
        }),
        RUNS,
      );
    });

    test(`${name}: the valid header over any other body is rejected`, () => {
      const header = headers(valid());
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
          const body = Buffer.from(bytes);
          fc.pre(!body.equals(BODY));
          const result = verifier.verify(requestOf({ body, headers: header }), NOW);
          // Basic auth and API keys do not cover the body: only the MAC-based verifiers must reject.
          if (name !== "basic-auth" && name !== "api-key") assert.equal(result.ok, false);
        }),
        { numRuns: 200 },
      );
    });
  }
});
