import { createHmac } from "node:crypto";
import { configError } from "@hookyard/core";
import { format, headerNameFormat, optionalHeaderNameFormat, secretListFormat } from "../config/formats.js";
import { secretsKey, toleranceKey, typeKey } from "./common-keys.js";
import { anyMacMatches } from "./constant-time.js";
import { decodeBase64Lenient, decodeHex } from "./decode.js";
import { checkTimestamp } from "./timestamp.js";
import { type InboundRequest, rejected, type VerifierDefinition } from "./verifier.js";

export interface HmacOptions {
  type: "hmac";
  secrets: string[];
  secretEncoding: "utf8" | "base64" | "hex";
  header: string;
  algorithm: "sha1" | "sha256" | "sha512";
  encoding: "hex" | "base64";
  prefix: string;
  signed: string;
  timestampHeader: string | null;
  tolerance: number;
}

type Part = "body" | "timestamp" | "url" | "method" | { readonly text: Buffer };

const TOKEN = /\{(\w+)\}/g;
const TOKENS = new Set(["body", "timestamp", "url", "method"]);

/** Splits a `signed` template ("{timestamp}.{body}") into literal and token parts; undefined when invalid. */
export function parseSignedTemplate(template: string): Part[] | undefined {
  const parts: Part[] = [];
  let last = 0;
  for (const match of template.matchAll(TOKEN)) {
    const name = match[1] ?? "";
    if (!TOKENS.has(name)) return undefined;
    if (match.index > last) parts.push({ text: Buffer.from(template.slice(last, match.index), "utf8") });
    parts.push(name as Part);
    last = match.index + match[0].length;
  }
  if (last < template.length) parts.push({ text: Buffer.from(template.slice(last), "utf8") });
  return parts.includes("body") ? parts : undefined;
}

/** Strips the configured prefix and decodes hex or base64 (standard or URL-safe). */
export function parseHmacSignature(header: string, prefix: string, encoding: "hex" | "base64"): Buffer | undefined {
  if (!header.startsWith(prefix)) return undefined;
  const text = header.slice(prefix.length).trim();
  return encoding === "hex" ? decodeHex(text) : decodeBase64Lenient(text);
}

/**
 * Any provider that signs with an HMAC in one header: which header, algorithm, encoding and prefix, and what is
 * signed (`{body}` or a template such as `{timestamp}.{body}` or `{url}{body}`). With a timestamp header, stale
 * and future timestamps are rejected.
 */
export const hmacVerifier: VerifierDefinition<HmacOptions> = {
  type: "hmac",
  schema: {
    type: typeKey("hmac"),
    secrets: secretsKey(
      "The shared secret(s).",
      secretListFormat("a non-empty string", (secret) => secret.length > 0),
    ),
    secretEncoding: {
      doc: "How the secret is written: utf8 (used as is), base64 or hex (decoded to the key bytes).",
      format: ["utf8", "base64", "hex"],
      default: "utf8",
    },
    header: { doc: "The request header carrying the signature.", format: headerNameFormat, default: "" },
    algorithm: { doc: "HMAC hash.", format: ["sha1", "sha256", "sha512"], default: "sha256" },
    encoding: {
      doc: "How the signature is written: hex or base64 (URL-safe accepted).",
      format: ["hex", "base64"],
      default: "hex",
    },
    prefix: { doc: 'Text before the signature in the header, e.g. "sha256=".', format: String, default: "" },
    signed: {
      doc: 'What is signed: a template of literal text and {body}, {timestamp}, {url}, {method}, e.g. "{body}" or "{timestamp}.{body}". Must contain {body}.',
      format: format("a template containing {body} and only {body}, {timestamp}, {url} or {method}", (value) =>
        typeof value === "string" ? parseSignedTemplate(value) !== undefined : false,
      ),
      default: "{body}",
    },
    timestampHeader: {
      doc: "Header carrying the signed Unix-seconds timestamp; required when `signed` uses {timestamp}. Requests outside the tolerance are rejected.",
      format: optionalHeaderNameFormat,
      default: null,
      nullable: true,
    },
    tolerance: toleranceKey(),
  },
  sensitiveHeaders: (options) => [options.header.toLowerCase()],
  keepHeaders: [],
  create(options) {
    const parts = parseSignedTemplate(options.signed);
    if (parts === undefined) throw configError("hmac verifier: invalid signed template");
    if (parts.includes("timestamp") && options.timestampHeader === null) {
      throw configError("hmac verifier: signed uses {timestamp}, so timestampHeader must be set");
    }
    const keys = options.secrets.map((secret) => Buffer.from(secret, options.secretEncoding));
    const header = options.header.toLowerCase();
    const timestampHeader = options.timestampHeader?.toLowerCase();
    return {
      verify(request, now) {
        const value = request.headers[header];
        if (value === undefined) return rejected("missing signature");
        const timestamp = timestampHeader === undefined ? undefined : request.headers[timestampHeader];
        if (timestampHeader !== undefined) {
          const stale = checkTimestamp(timestamp, now, options.tolerance);
          if (stale !== undefined) return rejected(stale);
        }
        const presented = parseHmacSignature(value, options.prefix, options.encoding);
        if (presented === undefined) return rejected("malformed signature header");
        const signed = signedBytes(parts, request, timestamp ?? "");
        const expected = keys.map((key) => createHmac(options.algorithm, key).update(signed).digest());
        if (!anyMacMatches(expected, [presented])) return rejected("signature mismatch");
        return { ok: true };
      },
    };
  },
};

function signedBytes(parts: readonly Part[], request: InboundRequest, timestamp: string): Buffer {
  return Buffer.concat(
    parts.map((part) => {
      switch (part) {
        case "body":
          return request.rawBody;
        case "timestamp":
          return Buffer.from(timestamp, "utf8");
        case "url":
          return Buffer.from(request.url, "utf8");
        case "method":
          return Buffer.from(request.method, "utf8");
        default:
          return part.text;
      }
    }),
  );
}
