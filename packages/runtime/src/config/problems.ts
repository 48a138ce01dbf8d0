import { HookyardError } from "@hookyard/core";

/** One thing wrong with a config file. `path` spells the key as in `endpoints[2].url`. */
export interface ConfigProblem {
  readonly file: string;
  readonly path: string;
  readonly expected: string;
  readonly found: string;
  /** 1-based position in the file, when known. */
  readonly line?: number;
  readonly column?: number;
  /** `hookyard.yaml: endpoints[2].url: expected an http(s) URL, found "ftp://x" (line 12)` */
  readonly message: string;
}

export function formatProblem(problem: Omit<ConfigProblem, "message">): string {
  const where = problem.path === "" ? "" : ` ${problem.path}:`;
  const position = problem.line === undefined ? "" : ` (line ${problem.line})`;
  return `${problem.file}:${where} expected ${problem.expected}, found ${problem.found}${position}`;
}

/**
 * Everything wrong with a config file, reported at once. Code CONFIG_INVALID, never retryable. The message lists
 * every problem on its own line; `problems` has them as data. Secret values never appear in either.
 */
export class ConfigValidationError extends HookyardError {
  readonly problems: readonly ConfigProblem[];

  constructor(file: string, problems: readonly ConfigProblem[]) {
    // In file order, so the list reads top to bottom; problems without a line keep their place at the end.
    const position = (problem: ConfigProblem) =>
      (problem.line ?? Number.MAX_SAFE_INTEGER) * 10_000 + Math.min(problem.column ?? 0, 9_999);
    const ordered = [...problems].sort((a, b) => position(a) - position(b));
    const count = problems.length === 1 ? "1 problem" : `${problems.length} problems`;
    super("CONFIG_INVALID", `invalid config ${file} (${count}):\n${ordered.map((p) => `  ${p.message}`).join("\n")}`, {
      details: { file, count: problems.length },
    });
    this.name = "ConfigValidationError";
    this.problems = Object.freeze(ordered);
  }
}
