import { isIP } from "node:net";
import { createSsrfGuard, type ResolveHost, systemResolver } from "@hookyard/delivery";
import { invalid } from "../api-error.js";

/** Checks an endpoint URL against the egress SSRF policy before it is saved; throws a 400 naming why. */
export type UrlSafetyCheck = (url: string) => Promise<void>;

/**
 * The same rule the delivery client enforces at connect time (loopback, private, link-local and metadata
 * addresses refused unless `egress.allowCidrs` lets them through), applied when an endpoint is created or its URL
 * changed, so a customer learns at once instead of from a dead letter. The connect-time check stays the real
 * guard (DNS can change after this).
 */
export function createUrlSafetyCheck(
  options: { readonly allowCidrs?: readonly string[]; readonly resolveHost?: ResolveHost } = {},
): UrlSafetyCheck {
  const guard = createSsrfGuard({ allow: options.allowCidrs ?? [] });
  const resolve = options.resolveHost ?? systemResolver;
  return async (url) => {
    let host: string;
    try {
      host = new URL(url).hostname;
    } catch {
      throw invalid("url must be an absolute http(s) URL");
    }
    const bare = host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
    let addresses: readonly string[];
    if (isIP(bare) !== 0) {
      addresses = [bare];
    } else {
      try {
        addresses = (await resolve(bare)).map((answer) => answer.address);
      } catch {
        throw invalid(`url: the host ${JSON.stringify(bare)} does not resolve`);
      }
    }
    for (const address of addresses) {
      const reason = guard.check(address);
      if (reason !== undefined) {
        const target = address === bare ? address : `${bare} (${address})`;
        throw invalid(
          `url: ${target} is a ${reason.replace("_", "-")} address, refused by the egress policy (egress.allowCidrs)`,
          {
            reason,
          },
        );
      }
    }
  };
}
