import { lookup as dnsLookup } from "node:dns/promises";
import type { LookupFunction } from "node:net";
import { isIP } from "node:net";
import { HookyardError } from "@hookyard/core";
import { buildConnector, type Dispatcher, Pool } from "undici";
import { SSRF_BLOCKED } from "./error-class.js";
import type { BlockReason, SsrfGuard } from "./ssrf-guard.js";

export interface ResolvedAddress {
  readonly address: string;
  readonly family: 4 | 6;
}

/** Resolves a hostname to every address it has. Injectable for tests (DNS rebinding, private answers). */
export type ResolveHost = (hostname: string) => Promise<readonly ResolvedAddress[]>;

/** getaddrinfo on libuv's thread pool (never blocks the event loop), all addresses, in the resolver's order. */
export const systemResolver: ResolveHost = async (hostname) => {
  const answers = await dnsLookup(hostname, { all: true });
  return answers.map(({ address, family }) => ({ address, family: family === 6 ? 6 : 4 }));
};

export function ssrfBlockedError(host: string, address: string, reason: BlockReason): HookyardError {
  const target = host === address ? address : `${host} (${address})`;
  return new HookyardError(SSRF_BLOCKED, `destination ${target} is refused by the SSRF guard: ${reason}`, {
    details: { host, address, reason },
  });
}

/**
 * Resolves `host` and checks EVERY address (one bad answer refuses the destination, so a name that mixes a public
 * and a private record cannot be used to reach the private one). An IP literal is checked as is.
 */
export async function resolveChecked(
  host: string,
  guard: SsrfGuard,
  resolve: ResolveHost,
): Promise<readonly ResolvedAddress[]> {
  const bare = host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
  const family = isIP(bare);
  const answers: readonly ResolvedAddress[] =
    family === 0 ? await resolve(bare) : [{ address: bare, family: family === 6 ? 6 : 4 }];
  if (answers.length === 0) {
    throw Object.assign(new Error(`no address found for ${bare}`), { code: "ENOTFOUND", hostname: bare });
  }
  for (const { address } of answers) {
    const reason = guard.check(address);
    if (reason !== undefined) throw ssrfBlockedError(bare, address, reason);
  }
  return answers;
}

/**
 * A `lookup` for net/tls.connect: the socket connects only to addresses that were checked by this very lookup,
 * so a DNS answer that changes between a pre-check and the connect (rebinding) cannot slip through.
 */
export function guardedLookup(guard: SsrfGuard, resolve: ResolveHost): LookupFunction {
  return (hostname, options, callback) => {
    resolveChecked(hostname, guard, resolve).then(
      (answers) => {
        const wanted = options.family === 4 || options.family === 6 ? options.family : 0;
        const usable = wanted === 0 ? answers : answers.filter((a) => a.family === wanted);
        const first = usable[0];
        if (first === undefined) {
          callback(Object.assign(new Error(`no IPv${wanted} address for ${hostname}`), { code: "ENOTFOUND" }), "", 4);
        } else if (options.all === true) {
          // Node's LookupFunction type lacks the `all` overload; happy-eyeballs connects pass all: true.
          (callback as unknown as (err: null, addresses: readonly ResolvedAddress[]) => void)(null, usable);
        } else {
          callback(null, first.address, first.family);
        }
      },
      (error: Error) => callback(error as NodeJS.ErrnoException, "", 4),
    );
  };
}

export interface GuardedConnectorOptions {
  readonly guard: SsrfGuard;
  readonly resolve: ResolveHost;
  readonly connectTimeoutMs: number;
  /** TLS client options for https destinations: custom CA, mTLS cert/key. */
  readonly tls?: { readonly ca?: string; readonly cert?: string; readonly key?: string };
}

/**
 * undici's connector with the SSRF guard in front: hostnames go through `guardedLookup` inside net.connect, IP
 * literals (which net.connect never looks up) are checked here before any socket exists.
 */
export function createGuardedConnector(options: GuardedConnectorOptions): buildConnector.connector {
  const base = buildConnector({
    timeout: options.connectTimeoutMs,
    lookup: guardedLookup(options.guard, options.resolve),
    ...options.tls,
  });
  return (connectOptions, callback) => {
    const hostname = connectOptions.hostname;
    if (isIP(hostname) !== 0) {
      const reason = options.guard.check(hostname);
      if (reason !== undefined) {
        callback(ssrfBlockedError(hostname, hostname, reason), null);
        return;
      }
    }
    base(connectOptions, callback);
  };
}

/**
 * The client ProxyAgent uses to talk to the egress proxy, with the CONNECT target pinned: the target host is
 * resolved and checked here and the tunnel is requested to the checked IP (the TLS server name stays the
 * hostname), so the proxy's own DNS cannot be rebound to an internal address.
 */
export function guardedTunnelClientFactory(
  guard: SsrfGuard,
  resolve: ResolveHost,
): (origin: URL, options: object) => Dispatcher {
  return (origin, options) => {
    const pool = new Pool(origin, options);
    const connect = pool.connect.bind(pool) as (params: Dispatcher.ConnectOptions) => Promise<Dispatcher.ConnectData>;
    const pinnedConnect = async (params: Dispatcher.ConnectOptions): Promise<Dispatcher.ConnectData> => {
      const separator = params.path.lastIndexOf(":");
      const host = params.path.slice(0, separator);
      const port = params.path.slice(separator + 1);
      const [first] = await resolveChecked(host, guard, resolve);
      const address = first?.family === 6 ? `[${first.address}]` : (first?.address ?? host);
      return connect({ ...params, path: `${address}:${port}` });
    };
    return Object.assign(pool, { connect: pinnedConnect });
  };
}
