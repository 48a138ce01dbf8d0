import { isIP } from "node:net";
import { type DescribedFormat, describedFormat, describedListFormat } from "@hookyard/core";

/*
 * Convict formats of the ingress keys, built with core's describedFormat so the runtime's config loader words
 * their errors and docs/config.md like every other key's.
 */
export type IngressFormat = DescribedFormat;
export const format = describedFormat;
export const listFormat = describedListFormat;

const isString = (value: unknown): value is string => typeof value === "string";
const ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,128}$/;

export const isHeaderName = (value: unknown): value is string => isString(value) && HEADER_NAME.test(value);

export const idFormat = format("an id of letters, digits and . _ : - (up to 128 characters)", (value) =>
  isString(value) ? ID.test(value) : false,
);

export const pathFormat = format(
  'a URL path starting with "/" (letters, digits and - _ . ~ / only), e.g. /ingress/stripe/acme',
  (value) => isString(value) && /^\/[A-Za-z0-9\-_.~/]{0,255}$/.test(value) && !value.includes("//"),
);

export const targetListFormat = listFormat("a list of sink or endpoint ids", {
  expected: "a sink or endpoint id",
  check: (item) => isString(item) && ID.test(item),
});

export const headerNameFormat = format("an HTTP header name", isHeaderName);

export const optionalHeaderNameFormat = format("an HTTP header name", (value) => value === null || isHeaderName(value));

export const headerNameListFormat = listFormat("a list of HTTP header names", {
  expected: "an HTTP header name",
  check: isHeaderName,
});

export const optionalStringFormat = format("a string", (value) => value === null || isString(value));

export const optionalPublicUrlFormat = format(
  'an http(s) URL without path, query or credentials, e.g. "https://hooks.example.com"',
  (value) => value === null || (isString(value) && isOrigin(value)),
);

function isOrigin(text: string): boolean {
  try {
    const url = new URL(text);
    return (
      (url.protocol === "https:" || url.protocol === "http:") &&
      url.username === "" &&
      url.password === "" &&
      (url.pathname === "/" || url.pathname === "") &&
      url.search === "" &&
      url.hash === "" &&
      !text.endsWith("/")
    );
  } catch {
    return false;
  }
}

export const optionalPositiveNumberFormat = format(
  "a number > 0",
  (value) => value === null || (typeof value === "number" && Number.isFinite(value) && value > 0),
  "number",
);

export const optionalPositiveIntegerFormat = format(
  "a whole number ≥ 1",
  (value) => value === null || (typeof value === "number" && Number.isInteger(value) && value >= 1),
  "number",
);

export const cidrListFormat = listFormat('a list of CIDR ranges such as "10.0.0.0/8" or "::1/128"', {
  expected: 'a CIDR range such as "10.0.0.0/8" or "::1/128"',
  check: (item) => isString(item) && parseCidr(item) !== undefined,
});

export function parseCidr(text: string): { address: string; prefix: number; family: "ipv4" | "ipv6" } | undefined {
  const [address, bits, ...rest] = text.split("/");
  if (address === undefined || bits === undefined || rest.length > 0 || !/^\d{1,3}$/.test(bits)) return undefined;
  const version = isIP(address);
  const prefix = Number(bits);
  if (version === 0 || prefix > (version === 4 ? 32 : 128)) return undefined;
  return { address, prefix, family: version === 4 ? "ipv4" : "ipv6" };
}

/** A list of 1 to 10 secrets, each checked by `check` (the verifier's own secret format). */
export function secretListFormat(expected: string, check: (secret: string) => boolean): IngressFormat {
  return listFormat(
    `a list of 1 to 10 secrets, each ${expected}`,
    { expected, check: (item) => isString(item) && check(item) },
    { min: 1, max: 10 },
  );
}
