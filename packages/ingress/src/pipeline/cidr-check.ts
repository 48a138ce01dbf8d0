import { BlockList, isIPv4 } from "node:net";
import { parseCidr } from "../config/formats.js";

/** Whether a client address may use a route: deny wins, then an allow list (when set) must contain it. */
export type AddressCheck = (address: string) => boolean;

export function createAddressCheck(allowCidrs: readonly string[], denyCidrs: readonly string[]): AddressCheck {
  const allow = allowCidrs.length === 0 ? undefined : blockListOf(allowCidrs);
  const deny = denyCidrs.length === 0 ? undefined : blockListOf(denyCidrs);
  return (raw) => {
    const address = unmapped(raw);
    const family = isIPv4(address) ? "ipv4" : "ipv6";
    try {
      if (deny?.check(address, family)) return false;
      return allow === undefined || allow.check(address, family);
    } catch {
      // Not an address at all: only acceptable when no list restricts the route.
      return allow === undefined && deny === undefined;
    }
  };
}

/** Whether an address lies in one of `cidrs` (never for an empty list or something that is not an address). */
export function createRangeCheck(cidrs: readonly string[]): AddressCheck {
  if (cidrs.length === 0) return () => false;
  const list = blockListOf(cidrs);
  return (raw) => {
    const address = unmapped(raw);
    try {
      return list.check(address, isIPv4(address) ? "ipv4" : "ipv6");
    } catch {
      return false;
    }
  };
}

function blockListOf(cidrs: readonly string[]): BlockList {
  const list = new BlockList();
  for (const cidr of cidrs) {
    const parsed = parseCidr(cidr);
    if (parsed !== undefined) list.addSubnet(parsed.address, parsed.prefix, parsed.family);
  }
  return list;
}

/** `::ffff:10.1.2.3` (an IPv4 client on a dual-stack socket) is checked as 10.1.2.3. */
function unmapped(address: string): string {
  const match = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return match?.[1] ?? address;
}
