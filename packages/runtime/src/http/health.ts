/** One dependency's readiness: Redis, or a connector's check(). */
export interface HealthCheck {
  readonly name: string;
  run(): Promise<void>;
}

export interface ReadinessReport {
  readonly ready: boolean;
  readonly checks: readonly { name: string; ok: boolean; error?: string; durationMs: number }[];
}

/** Runs every check concurrently, each bounded by `timeoutMs`, and says which failed and why. */
export async function checkReadiness(checks: readonly HealthCheck[], timeoutMs: number): Promise<ReadinessReport> {
  const results = await Promise.all(
    checks.map(async (check) => {
      const started = performance.now();
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          check.run(),
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
          }),
        ]);
        return { name: check.name, ok: true, durationMs: Math.round(performance.now() - started) };
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        return { name: check.name, ok: false, error: message, durationMs: Math.round(performance.now() - started) };
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  return { ready: results.every((result) => result.ok), checks: results };
}
