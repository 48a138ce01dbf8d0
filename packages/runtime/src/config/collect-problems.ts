import { pathText, type Segments } from "./key-path.js";
import { type ConfigProblem, formatProblem } from "./problems.js";

export type Locate = (segments: Segments) => { line: number; column: number } | undefined;

/** Gathers problems from every validation step so they are all reported at once. */
export interface ProblemCollector {
  readonly file: string;
  add(segments: Segments, expected: string, found: string): void;
  /** For problems located inside a free-form value (a filter, a mapping): the path is spelled out, `segments` locate it. */
  addWithPath(path: string, segments: Segments, expected: string, found: string): void;
  addAtPosition(line: number, column: number, expected: string, found: string): void;
  list(): readonly ConfigProblem[];
}

export function createProblemCollector(file: string, locate: Locate = () => undefined): ProblemCollector {
  const problems: ConfigProblem[] = [];
  const seen = new Set<string>();
  const push = (problem: Omit<ConfigProblem, "message">): void => {
    // One problem per key path: the first is the cause (an unset variable), later ones its echoes.
    const key = problem.path === "" ? `${problem.expected}\n${problem.line ?? ""}` : problem.path;
    if (seen.has(key)) return;
    seen.add(key);
    problems.push(Object.freeze({ ...problem, message: formatProblem(problem) }));
  };
  return {
    file,
    add(segments, expected, found) {
      const position = locate(segments);
      push({ file, path: pathText(segments), expected, found, ...(position ?? {}) });
    },
    addWithPath(path, segments, expected, found) {
      const position = locate(segments);
      push({ file, path, expected, found, ...(position ?? {}) });
    },
    addAtPosition(line, column, expected, found) {
      push({ file, path: "", expected, found, line, column });
    },
    list: () => problems,
  };
}
