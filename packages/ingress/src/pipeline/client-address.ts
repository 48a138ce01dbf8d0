import { isIP } from "node:net";
import { createRangeCheck } from "./cidr-check.js";

/** Which header the trusted proxies write the client chain into. */
export type ForwardedHeader = "x-forwarded-for" | "forwarded";

export interface TrustProxyOptions {
  /** CIDRs of the load balancers / reverse proxies in front of Hookyard; empty: trust none. */
  readonly trustedCidrs: readonly string[];
  /** The header those proxies append the client's address to. Default x-forwarded-for. */
  readonly header?: ForwardedHeader;
}

/** Where a request came from, as far as trusted proxies vouch for it. */
export interface ClientOrigin {
  /** The client address CIDR lists, rate limits and logs use. */
  readonly address: string;
  /** The scheme and host the client called, when a trusted proxy said (X-Forwarded-Proto/-Host or Forwarded). */
  readonly protocol?: string;
  readonly host?: string;
}

export type ClientOriginResolver = (
  socketAddress: string,
  headers: Readonly<Record<string, string | string[] | undefined>>,
) => ClientOrigin;

/**
 * The client of a request behind trusted proxies. The chain is the header's addresses followed by the socket's;
 * walking it from the right, each hop that is a trusted proxy is skipped and the first one that is not is the
 * client (a client cannot forge what the proxies nearest Hookyard appended; anything left of that is its own
 * words). A request whose socket is not a trusted proxy is judged by the socket alone: its headers are ignored.
 * Only the configured header is read, so a client cannot smuggle a `Forwarded` past balancers that only append to
 * X-Forwarded-For.
 */
export function createClientOriginResolver(options: TrustProxyOptions): ClientOriginResolver {
  const trusted = createRangeCheck(options.trustedCidrs);
  const header = options.header ?? "x-forwarded-for";
  return (socketAddress, headers) => {
    if (!trusted(socketAddress)) return { address: socketAddress };
    const hops = header === "forwarded" ? forwardedHops(headers.forwarded) : xForwardedHops(headers["x-forwarded-for"]);
    let address = socketAddress;
    let hop: Hop | undefined;
    for (let i = hops.length - 1; i >= 0; i -= 1) {
      hop = hops[i] as Hop;
      address = hop.address;
      if (!trusted(address)) break;
    }
    if (header === "forwarded") {
      return {
        address,
        ...(hop?.proto === undefined ? {} : { protocol: hop.proto }),
        ...(hop?.host === undefined ? {} : { host: hop.host }),
      };
    }
    // The value the nearest proxy wrote (the last), as Fastify reads them.
    const protocol = lastValue(headers["x-forwarded-proto"]);
    const host = lastValue(headers["x-forwarded-host"]);
    return { address, ...(protocol === undefined ? {} : { protocol }), ...(host === undefined ? {} : { host }) };
  };
}

interface Hop {
  readonly address: string;
  readonly proto?: string;
  readonly host?: string;
}

function xForwardedHops(value: string | string[] | undefined): Hop[] {
  return joined(value)
    .split(",")
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0)
    .map((entry) => ({ address: withoutPort(entry) }));
}

/** RFC 7239: `for=192.0.2.60;proto=https;host=x, for="[2001:db8::1]:4711"`; an element without `for` is "unknown". */
function forwardedHops(value: string | string[] | undefined): Hop[] {
  const hops: Hop[] = [];
  for (const element of joined(value).split(",")) {
    if (element.trim() === "") continue;
    const pairs = new Map<string, string>();
    for (const pair of element.split(";")) {
      const at = pair.indexOf("=");
      if (at <= 0) continue;
      const name = pair.slice(0, at).trim().toLowerCase();
      pairs.set(name, unquote(pair.slice(at + 1).trim()));
    }
    const proto = pairs.get("proto");
    const host = pairs.get("host");
    hops.push({
      address: withoutPort(pairs.get("for") ?? "unknown"),
      ...(proto === undefined ? {} : { proto: proto.toLowerCase() }),
      ...(host === undefined ? {} : { host }),
    });
  }
  return hops;
}

/** "203.0.113.7:4711" → 203.0.113.7, "[2001:db8::1]:80" → 2001:db8::1; anything else as written. */
function withoutPort(entry: string): string {
  if (isIP(entry) !== 0) return entry;
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(entry);
  if (bracketed?.[1] !== undefined) return bracketed[1];
  const v4 = /^(\d{1,3}(?:\.\d{1,3}){3}):\d+$/.exec(entry);
  return v4?.[1] ?? entry;
}

function unquote(value: string): string {
  return value.length >= 2 && value.startsWith('"') && value.endsWith('"')
    ? value.slice(1, -1).replace(/\\(.)/g, "$1")
    : value;
}

function joined(value: string | string[] | undefined): string {
  return Array.isArray(value) ? value.join(",") : (value ?? "");
}

function lastValue(value: string | string[] | undefined): string | undefined {
  const last = joined(value).split(",").pop()?.trim();
  return last === undefined || last === "" ? undefined : last.toLowerCase();
}
