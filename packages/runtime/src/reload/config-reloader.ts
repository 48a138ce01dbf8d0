import type { ConfigConflict, ConfigControl, ConfigReloadReport, LoadedConfig } from "@hookyard/admin";
import { HookyardError } from "@hookyard/core";
import type { Logger } from "pino";
import { ConfigValidationError, formatProblem } from "../config/problems.js";
import type { HookyardConfig } from "../config/types.js";
import type { Metrics } from "../metrics.js";
import { type ConfigChanges, configChanges, type LivePart } from "./config-changes.js";

/** Applies a new config's live parts to the running gateway; returns conflicts instead when it cannot (nothing changed). */
export type ApplyConfig = (next: HookyardConfig, live: readonly LivePart[]) => Promise<readonly ConfigConflict[]>;

export interface ConfigReloaderOptions {
  /** The config the gateway started with: restart-only settings are compared with it. */
  readonly initial: HookyardConfig;
  /** Re-reads and validates the file, exactly as `hookyard validate` does. */
  readonly load: () => Promise<HookyardConfig>;
  readonly apply: ApplyConfig;
  readonly ingressServed: boolean;
  readonly metrics: Metrics;
  readonly logger: Logger;
  readonly now?: () => number;
}

/**
 * Reloads the config file on demand (SIGHUP, the admin API), one reload at a time: a reload asked for while another
 * runs waits for it, then reads the file again. An invalid file changes nothing and the running config stays.
 */
export function createConfigReloader(options: ConfigReloaderOptions): ConfigControl {
  const { initial, metrics, logger } = options;
  const now = options.now ?? Date.now;
  let applied = initial;
  let loaded: LoadedConfig = { file: initial.file, hash: initial.hash, loadedAt: iso(now()), restartRequired: [] };
  let queue: Promise<unknown> = Promise.resolve();

  async function reloadOnce(trigger: "api" | "signal"): Promise<ConfigReloadReport> {
    const report = (result: ConfigReloadReport["result"], rest: Partial<ConfigReloadReport> = {}) => {
      metrics.configReloads.inc({ result });
      return { result, problems: [], applied: [], restartRequired: [], config: loaded, ...rest };
    };
    let next: HookyardConfig;
    try {
      next = await options.load();
    } catch (error) {
      const problems = problemsOf(error);
      if (problems === undefined) throw error;
      logger.error({ trigger, file: initial.file, problems }, "config reload refused: the file is invalid");
      return report("invalid", { problems });
    }
    const changes: ConfigChanges = {
      live: configChanges(applied, next, { ingressServed: options.ingressServed }).live,
      restartRequired: configChanges(initial, next, { ingressServed: options.ingressServed }).restartRequired,
    };
    if (changes.live.length === 0 && changes.restartRequired.length === 0) {
      // Same meaning (comments, order, a default written out): the file is what runs.
      loaded = { ...loaded, hash: next.hash, loadedAt: iso(now()) };
      logger.info({ trigger, hash: next.hash }, "config reload: nothing changed");
      return report("unchanged");
    }
    let conflicts: readonly ConfigConflict[];
    try {
      conflicts = changes.live.length === 0 ? [] : await options.apply(next, changes.live);
    } catch (error) {
      logger.error({ trigger, err: error }, "config reload failed; the running config stays");
      return report("failed", { problems: [(error as Error).message] });
    }
    if (conflicts.length > 0) {
      const problems = conflicts.map((conflict) => formatProblem({ file: next.file, ...conflict }));
      logger.error({ trigger, file: next.file, problems }, "config reload refused: the file is invalid");
      return report("invalid", { problems });
    }
    applied = next;
    loaded = { file: next.file, hash: next.hash, loadedAt: iso(now()), restartRequired: changes.restartRequired };
    logger.info({ trigger, hash: next.hash, applied: changes.live }, "config reloaded");
    if (changes.restartRequired.length > 0) {
      logger.warn({ restartRequired: changes.restartRequired }, "config changes that only a restart applies");
    }
    return report("applied", { applied: changes.live, restartRequired: changes.restartRequired });
  }

  return {
    reload(trigger) {
      const run = queue.then(() => reloadOnce(trigger));
      queue = run.catch(() => undefined);
      return run.catch((error: unknown) => {
        metrics.configReloads.inc({ result: "failed" });
        logger.error({ trigger, err: error }, "config reload failed; the running config stays");
        return {
          result: "failed",
          problems: [(error as Error).message],
          applied: [],
          restartRequired: [],
          config: loaded,
        } satisfies ConfigReloadReport;
      });
    },
    loaded: () => loaded,
  };
}

/** The problems `hookyard validate` would print for this error, or undefined when it is not a config problem. */
function problemsOf(error: unknown): string[] | undefined {
  if (error instanceof ConfigValidationError) return error.problems.map((problem) => problem.message);
  if (error instanceof HookyardError && (error.code === "CONFIG_INVALID" || error.code.startsWith("CONNECTOR_"))) {
    return [`${error.code}: ${error.message}`];
  }
  return undefined;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
