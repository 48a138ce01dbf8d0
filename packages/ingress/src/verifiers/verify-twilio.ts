import { createHash, createHmac } from "node:crypto";
import { secretListFormat } from "../config/formats.js";
import { formFieldsOf, isForm, textField } from "./body-fields.js";
import { secretsKey, typeKey } from "./common-keys.js";
import { anyMacMatches, macEquals } from "./constant-time.js";
import { decodeBase64, decodeHex } from "./decode.js";
import { type InboundRequest, type IngressResponse, rejected, type VerifierDefinition } from "./verifier.js";

export interface TwilioOptions {
  type: "twilio";
  secrets: string[];
}

const HASHES: Readonly<Record<string, "sha1" | "sha256">> = { HMAC_SHA1: "sha1", HMAC_SHA256: "sha256" };
const MAX_PARAMS = 1000;

/** Parses `X-Twilio-Signature`: base64 of an HMAC-SHA1 (20 bytes) or HMAC-SHA256 (32 bytes). */
export function parseTwilioSignature(header: string): Buffer | undefined {
  const mac = decodeBase64(header.trim());
  return mac?.length === 20 || mac?.length === 32 ? mac : undefined;
}

/**
 * The algorithm named by `X-Twilio-Webhooks-Signature-Settings` (`key=…,algorithm=HMAC_SHA256`), HMAC_SHA1 when
 * absent; undefined for an algorithm Hookyard does not know.
 */
export function twilioHashOf(settings: string | undefined): "sha1" | "sha256" | undefined {
  for (const part of (settings ?? "").split(",")) {
    const equals = part.indexOf("=");
    if (equals !== -1 && part.slice(0, equals).trim() === "algorithm") {
      const name = part.slice(equals + 1).trim();
      if (name !== "") return HASHES[name.toUpperCase()];
    }
  }
  return "sha1";
}

/**
 * The string Twilio signs: the full URL, then every POST parameter as name + value, sorted by name (a repeated
 * name: each distinct value, sorted). With a JSON body Twilio puts `bodySHA256` in the URL and signs the URL
 * alone; the body's hash is checked separately.
 */
export function twilioSignedText(url: string, params: Readonly<Record<string, string | string[]>>): string {
  let text = url;
  for (const name of Object.keys(params).sort()) {
    const value = params[name] ?? "";
    if (Array.isArray(value)) for (const item of [...new Set(value)].sort()) text += name + item;
    else text += name + value;
  }
  return text;
}

/** The URL as received, with and without the default port: Twilio signs whichever form it was configured with. */
export function twilioUrlCandidates(url: string): string[] {
  const match = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*)(.*)$/is.exec(url);
  if (match === null) return [url];
  const [, scheme = "", authority = "", rest = ""] = match;
  const portStart = authority.indexOf(":", authority.lastIndexOf("]") + 1);
  const host = portStart === -1 ? authority : authority.slice(0, portStart);
  const defaultPort = scheme.toLowerCase() === "https://" ? ":443" : ":80";
  const withoutPort = scheme + host + rest;
  const withPort = portStart === -1 ? scheme + host + defaultPort + rest : url;
  return [...new Set([url, withoutPort, withPort])];
}

const EMPTY_TWIML: IngressResponse = {
  status: 200,
  contentType: "text/xml",
  body: '<?xml version="1.0" encoding="UTF-8"?><Response></Response>',
};

/**
 * Twilio: `X-Twilio-Signature` is base64 HMAC-SHA1 (or HMAC-SHA256 with a SharedKey) over the full URL and the
 * sorted POST parameters, keyed with the account's auth token. The URL must be exactly the one configured in
 * Twilio: set the route's `publicUrl` (or trust the proxy's forwarded headers) when Hookyard runs behind one.
 */
export const twilioVerifier: VerifierDefinition<TwilioOptions> = {
  type: "twilio",
  schema: {
    type: typeKey("twilio"),
    secrets: secretsKey(
      "The account's auth token(s) (primary and secondary during a rotation), or a SharedKey secret.",
      secretListFormat("a string of at least 8 characters", (secret) => secret.length >= 8),
    ),
  },
  sensitiveHeaders: () => ["x-twilio-signature"],
  keepHeaders: ["i-twilio-idempotency-token", "x-home-region", "x-twilio-webhooks-signature-settings"],
  ackResponse: EMPTY_TWIML,
  create(options) {
    return {
      verify(request) {
        const header = request.headers["x-twilio-signature"];
        if (header === undefined) return rejected("missing signature");
        const presented = parseTwilioSignature(header);
        if (presented === undefined) return rejected("malformed signature header");
        const hash = twilioHashOf(request.headers["x-twilio-webhooks-signature-settings"]);
        if (hash === undefined) return rejected("unsupported signature algorithm");
        const bodyHash = bodySha256Of(request.url);
        // Twilio signs form parameters or, for other bodies, a bodySHA256 in the URL: anything else is unsigned.
        if (bodyHash === undefined && !isForm(request) && request.rawBody.length > 0) {
          return rejected("body not covered by the signature");
        }
        const params = bodyHash === undefined && isForm(request) ? formFieldsOf(request.rawBody) : {};
        if (Object.keys(params).length > MAX_PARAMS) return rejected("too many form parameters");
        if (bodyHash !== undefined) {
          const presentedHash = decodeHex(bodyHash);
          const actual = createHash("sha256").update(request.rawBody).digest();
          if (presentedHash === undefined || !macEquals(actual, presentedHash)) return rejected("body hash mismatch");
        }
        const expected: Buffer[] = [];
        for (const url of twilioUrlCandidates(request.url)) {
          const text = Buffer.from(twilioSignedText(url, params), "utf8");
          for (const secret of options.secrets) expected.push(createHmac(hash, secret).update(text).digest());
        }
        if (!anyMacMatches(expected, [presented])) return rejected("signature mismatch");
        return { ok: true, ...describeTwilioEvent(request, params) };
      },
    };
  },
};

function bodySha256Of(url: string): string | undefined {
  try {
    return new URL(url).searchParams.get("bodySHA256") ?? undefined;
  } catch {
    return undefined;
  }
}

function describeTwilioEvent(request: InboundRequest, params: Readonly<Record<string, string | string[]>>) {
  const single = (name: string) => textField(params, name);
  const message = single("MessageSid");
  const call = single("CallSid");
  // Status callbacks repeat the sid with each new status: the status is part of the event's identity.
  const status = single("MessageStatus") ?? single("SmsStatus") ?? single("CallStatus");
  const token = request.headers["i-twilio-idempotency-token"];
  const sid = message ?? call;
  const eventId = token || (sid === undefined ? undefined : status === undefined ? sid : `${sid}:${status}`);
  const eventType = message !== undefined ? "message" : call !== undefined ? "call" : undefined;
  return {
    ...(eventId === undefined ? {} : { eventId }),
    ...(eventType === undefined ? {} : { eventType }),
  };
}
