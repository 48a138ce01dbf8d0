/** One dependency's health probe: the store's ping, or a connector's `check()`. */
export interface HealthCheck {
  readonly name: string;
  run(): Promise<void>;
}

export interface CheckResult {
  readonly name: string;
  readonly ok: boolean;
  readonly error?: string;
  readonly durationMs: number;
}

/** A source's or sink's last known health, as the component monitor keeps it. */
export interface ComponentStatus extends CheckResult {
  /** When this status began (ISO time): how long a source has been down. */
  readonly since: string;
  /** When the check last finished (ISO time). */
  readonly checkedAt: string;
}

export interface ReadinessReport {
  /** True when the instance can take ingest and inbound webhooks: it is accepting and its store answers. */
  readonly ready: boolean;
  /** What readiness depends on: the store's ping (a round trip, never a scan). */
  readonly checks: readonly CheckResult[];
  /**
   * Sources and sinks, from their last periodic check: detail only. A broker outage stops its own source (events
   * wait in the broker) but ingress and the ingest API keep working, so it never makes the instance unready.
   */
  readonly components: readonly ComponentStatus[];
  /** The running config: sha256 of its file (compare with `sha256sum FILE`) and when it was loaded or reloaded. */
  readonly config?: { readonly hash: string; readonly loadedAt: string };
  readonly reason?: string;
}

/** Runs one check bounded by `timeoutMs`; never throws. */
export async function runCheck(check: HealthCheck, timeoutMs: number): Promise<CheckResult> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const elapsed = () => Math.round(performance.now() - started);
  try {
    await Promise.race([
      check.run(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return { name: check.name, ok: true, durationMs: elapsed() };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { name: check.name, ok: false, error: message, durationMs: elapsed() };
  } finally {
    clearTimeout(timer);
  }
}

export interface ReadinessSources {
  /** False while starting and once shutdown begins, so load balancers stop sending traffic. */
  readonly accepting: () => boolean;
  /** The store's ping. */
  readonly store: HealthCheck;
  readonly components: () => readonly ComponentStatus[];
  readonly config?: () => { readonly hash: string; readonly loadedAt: string };
  readonly timeoutMs: number;
}

/** `/readyz`: one store round trip (bounded) plus the components' last known health; no scan, no broker probe. */
export async function checkReadiness(sources: ReadinessSources): Promise<ReadinessReport> {
  const components = sources.components();
  const config = sources.config === undefined ? {} : { config: sources.config() };
  if (!sources.accepting()) return { ready: false, checks: [], components, ...config, reason: "not accepting traffic" };
  const store = await runCheck(sources.store, sources.timeoutMs);
  return { ready: store.ok, checks: [store], components, ...config };
}

/**
 * The report without error messages, for a public listener: a load balancer needs the status and names, while a
 * driver's error text (host names, addresses) is for operators, on the internal listener.
 */
export function withoutErrors(report: ReadinessReport): ReadinessReport {
  const strip = <T extends CheckResult>({ error: _error, ...rest }: T): Omit<T, "error"> => rest;
  return { ...report, checks: report.checks.map(strip), components: report.components.map(strip) };
}
