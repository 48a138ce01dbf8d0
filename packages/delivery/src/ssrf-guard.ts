import { BlockList, isIP } from "node:net";
import { configError } from "@hookyard/core";

/** Why an address is refused; stable names for attempt logs and tests. */
export type BlockReason =
  | "invalid"
  | "unspecified"
  | "loopback"
  | "private"
  | "link_local"
  | "cgnat"
  | "multicast"
  | "broadcast"
  | "reserved"
  | "benchmarking"
  | "documentation"
  | "unique_local"
  | "site_local"
  | "ipv4_compatible"
  | "nat64"
  | "teredo";

interface RangeRule {
  readonly reason: BlockReason;
  readonly cidrs: readonly string[];
}

// Checked in order: the first match names the reason (broadcast before the reserved 240/4 that contains it).
const IPV4_RULES: readonly RangeRule[] = [
  { reason: "unspecified", cidrs: ["0.0.0.0/8"] },
  { reason: "loopback", cidrs: ["127.0.0.0/8"] },
  { reason: "private", cidrs: ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"] },
  { reason: "link_local", cidrs: ["169.254.0.0/16"] },
  { reason: "cgnat", cidrs: ["100.64.0.0/10"] },
  { reason: "broadcast", cidrs: ["255.255.255.255/32"] },
  { reason: "multicast", cidrs: ["224.0.0.0/4"] },
  { reason: "benchmarking", cidrs: ["198.18.0.0/15"] },
  { reason: "documentation", cidrs: ["192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24"] },
  // IETF protocol assignments, the deprecated 6to4 relay anycast, and the old class E.
  { reason: "reserved", cidrs: ["192.0.0.0/24", "192.88.99.0/24", "240.0.0.0/4"] },
];

// IPv4-mapped (::ffff:0:0/96), NAT64 (64:ff9b::/96) and 6to4 (2002::/16) are judged by the IPv4 address they embed.
const IPV6_RULES: readonly RangeRule[] = [
  { reason: "unspecified", cidrs: ["::/128"] },
  { reason: "loopback", cidrs: ["::1/128"] },
  { reason: "ipv4_compatible", cidrs: ["::/96"] },
  { reason: "nat64", cidrs: ["64:ff9b:1::/48"] },
  { reason: "teredo", cidrs: ["2001::/32"] },
  { reason: "documentation", cidrs: ["2001:db8::/32", "3fff::/20"] },
  { reason: "unique_local", cidrs: ["fc00::/7"] },
  { reason: "link_local", cidrs: ["fe80::/10"] },
  { reason: "site_local", cidrs: ["fec0::/10"] },
  { reason: "multicast", cidrs: ["ff00::/8"] },
  // Everything outside global unicast 2000::/3, plus the special-purpose blocks inside it (2001::/23, SRv6 5f00::/16).
  {
    reason: "reserved",
    cidrs: ["::/3", "4000::/2", "8000::/1", "2001::/23", "5f00::/16", "100::/64"],
  },
];

interface CompiledRule {
  readonly reason: BlockReason;
  readonly list: BlockList;
}

function compile(rules: readonly RangeRule[], type: "ipv4" | "ipv6"): CompiledRule[] {
  return rules.map(({ reason, cidrs }) => {
    const list = new BlockList();
    for (const cidr of cidrs) {
      const [network = "", prefix = ""] = cidr.split("/");
      list.addSubnet(network, Number(prefix), type);
    }
    return { reason, list };
  });
}

const COMPILED_V4 = compile(IPV4_RULES, "ipv4");
const COMPILED_V6 = compile(IPV6_RULES, "ipv6");

/**
 * Classifies one IP address (no brackets; a `%zone` suffix is ignored). Returns why it must not be connected to,
 * or undefined when it is a public address. Pure: the allow-list is applied by `createSsrfGuard`.
 */
export function classifyAddress(address: string): BlockReason | undefined {
  const bare = stripZone(address);
  const family = isIP(bare);
  if (family === 4) return classifyV4(bare);
  if (family !== 6) return "invalid";
  const bytes = parseIPv6(bare);
  if (bytes === undefined) return "invalid";
  const embedded = embeddedIPv4(bytes);
  if (embedded !== undefined) return classifyV4(embedded);
  for (const rule of COMPILED_V6) if (rule.list.check(bare, "ipv6")) return rule.reason;
  return undefined;
}

function classifyV4(address: string): BlockReason | undefined {
  for (const rule of COMPILED_V4) if (rule.list.check(address, "ipv4")) return rule.reason;
  return undefined;
}

/**
 * The IPv4 address an IPv6 address stands for, when the packet would really go to that IPv4 host:
 * IPv4-mapped ::ffff:a.b.c.d, NAT64 64:ff9b::a.b.c.d, 6to4 2002:AABB:CCDD::/48.
 */
export function embeddedIPv4(bytes: Uint8Array): string | undefined {
  const zeroUpTo = (end: number): boolean => bytes.subarray(0, end).every((b) => b === 0);
  if (zeroUpTo(10) && bytes[10] === 0xff && bytes[11] === 0xff) return dotted(bytes, 12);
  if (bytes[0] === 0x00 && bytes[1] === 0x64 && bytes[2] === 0xff && bytes[3] === 0x9b) {
    if (bytes.subarray(4, 12).every((b) => b === 0)) return dotted(bytes, 12);
  }
  if (bytes[0] === 0x20 && bytes[1] === 0x02) return dotted(bytes, 2);
  return undefined;
}

function dotted(bytes: Uint8Array, offset: number): string {
  return `${bytes[offset]}.${bytes[offset + 1]}.${bytes[offset + 2]}.${bytes[offset + 3]}`;
}

function stripZone(address: string): string {
  const unbracketed = address.startsWith("[") && address.endsWith("]") ? address.slice(1, -1) : address;
  const zone = unbracketed.indexOf("%");
  return zone === -1 ? unbracketed : unbracketed.slice(0, zone);
}

/** Parses a textual IPv6 address (already validated by `net.isIP`) into 16 bytes. */
export function parseIPv6(text: string): Uint8Array | undefined {
  let source = text;
  const tail: number[] = [];
  const lastColon = source.lastIndexOf(":");
  if (source.includes(".", lastColon)) {
    const v4 = source.slice(lastColon + 1);
    if (isIP(v4) !== 4) return undefined;
    const [a = 0, b = 0, c = 0, d = 0] = v4.split(".").map(Number);
    tail.push((a << 8) | b, (c << 8) | d);
    source = `${source.slice(0, lastColon + 1)}0`; // placeholder group keeps the "::" arithmetic simple
  }
  const halves = source.split("::");
  if (halves.length > 2) return undefined;
  const groups = (part: string | undefined): number[] =>
    part === undefined || part === "" ? [] : part.split(":").map((g) => Number.parseInt(g, 16));
  const head = groups(halves[0]);
  let rest = halves.length === 2 ? groups(halves[1]) : [];
  if (tail.length > 0) {
    // replace the placeholder with the two groups of the dotted tail
    if (halves.length === 2) rest = [...rest.slice(0, -1), ...tail];
    else head.splice(head.length - 1, 1, ...tail);
  }
  const missing = 8 - head.length - rest.length;
  if (missing < 0 || (halves.length === 1 && missing !== 0)) return undefined;
  const all = [...head, ...new Array<number>(missing).fill(0), ...rest];
  const bytes = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    const group = all[i] ?? 0;
    if (!Number.isInteger(group) || group < 0 || group > 0xffff) return undefined;
    bytes[i * 2] = group >> 8;
    bytes[i * 2 + 1] = group & 0xff;
  }
  return bytes;
}

export interface SsrfGuard {
  /** Why `address` is refused, or undefined when it may be connected to (public, or allow-listed). */
  check(address: string): BlockReason | undefined;
}

export interface SsrfGuardOptions {
  /** CIDRs let through even though they are private/loopback, e.g. ["127.0.0.0/8"] or ["10.1.0.0/16"]. */
  readonly allow?: readonly string[];
  /** false turns the guard off entirely (every address passes). Default true. */
  readonly enabled?: boolean;
}

/** Builds the guard once; `check` is cheap (a few native BlockList lookups) and runs before every connect. */
export function createSsrfGuard(options: SsrfGuardOptions = {}): SsrfGuard {
  if (options.enabled === false) return { check: () => undefined };
  const allow = new BlockList();
  let hasAllow = false;
  for (const cidr of options.allow ?? []) {
    addCidr(allow, cidr);
    hasAllow = true;
  }
  return {
    check(address) {
      const reason = classifyAddress(address);
      if (reason === undefined || reason === "invalid" || !hasAllow) return reason;
      if (isAllowed(allow, stripZone(address))) return undefined;
      return reason;
    },
  };
}

function isAllowed(allow: BlockList, address: string): boolean {
  const family = isIP(address);
  if (family === 4) return allow.check(address, "ipv4");
  if (allow.check(address, "ipv6")) return true;
  // An allow-listed IPv4 range also covers its IPv4-mapped / NAT64 / 6to4 spellings.
  const bytes = parseIPv6(address);
  const embedded = bytes === undefined ? undefined : embeddedIPv4(bytes);
  return embedded !== undefined && allow.check(embedded, "ipv4");
}

function addCidr(list: BlockList, cidr: string): void {
  const [network = "", prefixText, extra] = cidr.split("/");
  const family = isIP(network);
  const max = family === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? max : Number(prefixText);
  if (family === 0 || extra !== undefined || !Number.isInteger(prefix) || prefix < 0 || prefix > max) {
    throw configError(`SSRF allow-list entry ${JSON.stringify(cidr)} is not a CIDR like "10.0.0.0/8" or "fd00::/8"`, {
      cidr,
    });
  }
  list.addSubnet(network, prefix, family === 4 ? "ipv4" : "ipv6");
}
