import { isIP } from "node:net";
import { describedFormat, describedListFormat, parseDuration } from "@hookyard/core";
import { OPERATOR_EVENT_TYPES } from "./operator-event-types.js";

/** Formats of the runtime's own keys. Each says what it accepts, for error messages and docs/config.md. */

const ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

const isString = (value: unknown): value is string => typeof value === "string";

function isUrlWith(value: unknown, protocols: readonly string[]): boolean {
  if (typeof value !== "string") return false;
  try {
    return protocols.includes(new URL(value).protocol);
  } catch {
    return false;
  }
}

export const idFormat = describedFormat("an id of letters, digits and . _ : - (up to 128 characters)", (value) =>
  isString(value) ? ID.test(value) : false,
);

export const eventTypeNameFormat = describedFormat(
  "an event type of letters, digits and . _ : - (up to 256 characters, no globs)",
  (value) => isString(value) && /^[A-Za-z0-9_][A-Za-z0-9_.:-]{0,255}$/.test(value),
);

/** Colours end up in CSS custom properties: a strict shape keeps anything but a colour out of the stylesheet. */
export const cssColorFormat = describedFormat(
  "a CSS colour: #rgb, #rrggbb(aa), rgb()/hsl() with numbers, or a colour name",
  (value) =>
    value === null ||
    (isString(value) && /^(#[0-9a-fA-F]{3,8}|(rgb|hsl)a?\([0-9., %/-]{1,60}\)|[a-zA-Z]{3,30})$/.test(value)),
);

export const logoUrlFormat = describedFormat(
  "an https URL or a data:image/(png|jpeg|gif|webp|svg+xml);base64 URL",
  (value) =>
    value === null ||
    (isString(value) &&
      (isUrlWith(value, ["https:"]) ||
        /^data:image\/(png|jpeg|gif|webp|svg\+xml);base64,[A-Za-z0-9+/=]+$/.test(value))),
);

export const idListFormat = describedListFormat(
  "a non-empty list of ids",
  { expected: idFormat.expected, check: (item) => isString(item) && ID.test(item) },
  { min: 1 },
);

export const nonEmptyStringFormat = describedFormat(
  "a non-empty string",
  (value) => isString(value) && value.length > 0,
);

export const optionalStringFormat = describedFormat("a string", (value) => value === null || isString(value));

export const httpUrlFormat = describedFormat("an http(s) URL", (value) => isUrlWith(value, ["http:", "https:"]));

export const optionalHttpUrlFormat = describedFormat(
  "an http(s) URL",
  (value) => value === null || isUrlWith(value, ["http:", "https:"]),
);

export const redisUrlFormat = describedFormat(
  "a redis:// or rediss:// URL",
  (value) => value === null || isUrlWith(value, ["redis:", "rediss:"]),
);

export const postgresUrlFormat = describedFormat(
  "a postgres:// or postgresql:// URL",
  (value) => value === null || isUrlWith(value, ["postgres:", "postgresql:"]),
);

export const schemaNameFormat = describedFormat(
  "a PostgreSQL schema name: a letter or _, then letters, digits or _ (up to 63)",
  (value) => isString(value) && /^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(value),
);

export const hostPortListFormat = describedListFormat('a list of "host:port"', {
  expected: '"host:port"',
  check: (item) => isString(item) && parseHostPort(item) !== undefined,
});

export function parseHostPort(text: string): { host: string; port: number } | undefined {
  const match = /^(\[[^\]]+\]|[^:[\]]+):(\d{1,5})$/.exec(text);
  if (match?.[1] === undefined || match[2] === undefined) return undefined;
  const port = Number(match[2]);
  if (port < 1 || port > 65535) return undefined;
  return { host: match[1].replace(/^\[|\]$/g, ""), port };
}

export const keyPrefixFormat = describedFormat(
  "a key prefix of letters, digits and . _ : - (up to 64 characters)",
  (value) => isString(value) && /^[A-Za-z0-9._:-]{1,64}$/.test(value),
);

export const apiKeyListFormat = describedListFormat("a list of API keys", {
  expected: "an API key of 8 to 512 characters without spaces",
  check: (item) => isString(item) && /^\S{8,512}$/.test(item),
});

export const frameAncestorListFormat = describedListFormat(
  'a list of CSP frame-ancestors sources ("\'self\'", "https://app.example.com", "https://*.example.com")',
  {
    expected: "'self', 'none' or an http(s) origin (a leading *. wildcard allowed)",
    check: (item) => isString(item) && /^('self'|'none'|https?:\/\/(\*\.)?[A-Za-z0-9.-]+(:\d{1,5})?)$/.test(item),
  },
);

export const signingKeyFormat = describedFormat(
  "a signing key of at least 32 characters",
  (value) => value === null || (isString(value) && value.length >= 32 && value.length <= 1024),
);

export const cidrListFormat = describedListFormat('a list of CIDR ranges such as "10.0.0.0/8" or "::1/128"', {
  expected: 'a CIDR range such as "10.0.0.0/8" or "::1/128"',
  check: (item) => isString(item) && isCidr(item),
});

function isCidr(text: string): boolean {
  const [address, bits, ...rest] = text.split("/");
  if (address === undefined || bits === undefined || rest.length > 0 || !/^\d{1,3}$/.test(bits)) return false;
  const version = isIP(address);
  return version !== 0 && Number(bits) <= (version === 4 ? 32 : 128);
}

export const typeListFormat = describedListFormat(
  'a non-empty list of event types or globs ("invoice.paid", "invoice.*", "**")',
  { expected: "an event type or glob", check: (item) => isString(item) && item.length > 0 },
  { min: 1 },
);

const OPERATOR_EVENTS: ReadonlySet<unknown> = new Set(OPERATOR_EVENT_TYPES);

export const operatorEventListFormat = describedListFormat(
  "a non-empty list of operator alerts",
  {
    expected: `one of ${OPERATOR_EVENT_TYPES.join(", ")}`,
    check: (item) => isString(item) && OPERATOR_EVENTS.has(item),
  },
  { min: 1 },
);

export const durationListFormat = describedListFormat(
  'a list of durations ("0", "5s", "5m", "2h" or milliseconds)',
  {
    expected: 'a duration ("500ms", "5s", "5m", "2h", "1d" or milliseconds)',
    check: (item) => parseDuration(item) !== undefined,
  },
  { max: 100 },
);

export const optionalDurationFormat = describedFormat(
  'a duration ("500ms", "5s", "5m", "2h", "1d" or milliseconds)',
  // Convict does not coerce custom formats, so "15s" arrives as text: parsed here and again where it is used.
  (value) => value === null || parseDuration(value) !== undefined,
);

export const fractionFormat = describedFormat(
  "a number from 0 to 1",
  (value) => typeof value === "number" && value >= 0 && value <= 1,
  "number",
);

export const optionalFractionFormat = describedFormat(
  "a number from 0 to 1",
  (value) => value === null || (typeof value === "number" && value >= 0 && value <= 1),
  "number",
);

export const positiveIntegerFormat = describedFormat(
  "a whole number ≥ 1",
  (value) => typeof value === "number" && Number.isInteger(value) && value >= 1,
  "number",
);

export const optionalPositiveNumberFormat = describedFormat(
  "a number > 0",
  (value) => value === null || (typeof value === "number" && Number.isFinite(value) && value > 0),
  "number",
);

export const optionalPemFormat = describedFormat(
  "PEM text (-----BEGIN …)",
  (value) => value === null || (isString(value) && value.includes("-----BEGIN ")),
);

export const SECRET_PREFIXES = ["whsec_", "whsk_"] as const;

/**
 * Standard Webhooks signing secrets: `whsec_` + base64 (HMAC-SHA256, at least 16 bytes) or `whsk_` + base64
 * (ed25519 seed, 32 or 64 bytes). Each item is the secret, or `{ secret, expiresAt }` during a rotation.
 */
export const secretListFormat = describedListFormat(
  'a list of 1 to 10 signing secrets ("whsec_" or "whsk_" + base64, or { secret, expiresAt })',
  {
    expected:
      'a signing secret: "whsec_" + base64 of 16+ bytes, "whsk_" + base64 of a 32-byte ed25519 seed, or { secret, expiresAt }',
    check: isSecretItem,
  },
  { min: 1, max: 10 },
);

function isSecretItem(item: unknown): boolean {
  if (isString(item)) return isSigningSecret(item);
  if (item === null || typeof item !== "object" || Array.isArray(item)) return false;
  const { secret, expiresAt, ...rest } = item as Record<string, unknown>;
  return (
    Object.keys(rest).length === 0 &&
    isString(secret) &&
    isSigningSecret(secret) &&
    (expiresAt === undefined || (isString(expiresAt) && !Number.isNaN(Date.parse(expiresAt))))
  );
}

export function isSigningSecret(secret: string): boolean {
  const prefix = SECRET_PREFIXES.find((candidate) => secret.startsWith(candidate));
  if (prefix === undefined) return false;
  const body = secret.slice(prefix.length);
  if (!BASE64.test(body)) return false;
  const bytes = Buffer.from(body, "base64").length;
  return prefix === "whsec_" ? bytes >= 16 && bytes <= 128 : bytes === 32 || bytes === 64;
}
