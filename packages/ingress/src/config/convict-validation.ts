import { describeValue, registerConfigFormats } from "@hookyard/core";
import convict from "convict";
import type { RouteProblem, RouteValidation } from "./compile-routes.js";

/**
 * A plain `RouteValidation` over convict, for tests and tools: one problem per convict complaint, located at the
 * section. The runtime's config loader brings its own, with per-key locations and `${VAR}` coercion.
 */
export function createConvictValidation(): RouteValidation & { readonly problems: readonly RouteProblem[] } {
  registerConfigFormats();
  const problems: RouteProblem[] = [];
  return {
    problems,
    problem: (problem) => {
      problems.push(problem);
    },
    section(schema, input, at, freeForm) {
      const defaults = () => convict(schema, { env: {}, args: [] }).getProperties();
      if (input === null || typeof input !== "object" || Array.isArray(input)) {
        problems.push({ at, expected: "an object", found: describeValue(input) });
        return { value: defaults(), ok: false };
      }
      const trimmed: Record<string, unknown> = { ...(input as Record<string, unknown>) };
      for (const key of freeForm) delete trimmed[key];
      const config = convict(schema, { env: {}, args: [] });
      try {
        config.load(trimmed);
        config.validate({ allowed: "strict", output: () => {} });
        return { value: config.getProperties(), ok: true };
      } catch (error) {
        for (const line of (error as Error).message.split("\n")) {
          if (line.trim() !== "") problems.push({ at, expected: "a valid section", found: redactValue(line) });
        }
        return { value: defaults(), ok: false };
      }
    },
  };
}

/** Convict appends `: value was "…"`; for a secret that would echo it, so the value is dropped. */
function redactValue(line: string): string {
  const index = line.indexOf(": value was ");
  return index === -1 ? line : line.slice(0, index);
}
