import type { ProblemCollector } from "./collect-problems.js";
import type { Segments } from "./key-path.js";

/**
 * `${VAR}` and `${VAR:-default}` in string values (never in keys), resolved from `env` before validation, so
 * secrets can stay out of the file. `$${` writes a literal `${`. A variable that is unset (or empty, when a default
 * is given) takes the default; unset without a default is a problem naming the variable and the key.
 * Values are never echoed: they may be secrets.
 */
export function interpolateEnv(
  value: unknown,
  env: Readonly<Record<string, string | undefined>>,
  problems: ProblemCollector,
  segments: Segments = [],
): unknown {
  if (typeof value === "string") return value.includes("$") ? interpolateString(value, env, problems, segments) : value;
  if (Array.isArray(value))
    return value.map((item, index) => interpolateEnv(item, env, problems, [...segments, index]));
  if (value !== null && typeof value === "object") {
    const result: Record<string, unknown> = {};
    for (const [key, member] of Object.entries(value)) {
      result[key] = interpolateEnv(member, env, problems, [...segments, key]);
    }
    return result;
  }
  return value;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function interpolateString(
  text: string,
  env: Readonly<Record<string, string | undefined>>,
  problems: ProblemCollector,
  segments: Segments,
): string {
  let result = "";
  let index = 0;
  while (index < text.length) {
    const dollar = text.indexOf("$", index);
    if (dollar === -1) break;
    result += text.slice(index, dollar);
    if (text.startsWith("$${", dollar)) {
      result += "${";
      index = dollar + 3;
      continue;
    }
    if (!text.startsWith("${", dollar)) {
      result += "$";
      index = dollar + 1;
      continue;
    }
    const close = text.indexOf("}", dollar + 2);
    const expression = close === -1 ? "" : text.slice(dollar + 2, close);
    const separator = expression.indexOf(":-");
    const name = separator === -1 ? expression : expression.slice(0, separator);
    if (close === -1 || !NAME.test(name)) {
      problems.add(
        segments,
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal ${VAR} reference, not a template
        "${NAME} or ${NAME:-default} (write $${ for a literal ${)",
        JSON.stringify(text.slice(dollar, close === -1 ? dollar + 20 : close + 1)),
      );
      return text;
    }
    const fallback = separator === -1 ? undefined : expression.slice(separator + 2);
    const variable = env[name];
    if (fallback !== undefined && (variable === undefined || variable === "")) {
      result += fallback;
    } else if (variable === undefined) {
      problems.add(
        segments,
        `environment variable ${name} to be set (or a default: \${${name}:-value})`,
        `${name} unset`,
      );
    } else {
      result += variable;
    }
    index = close + 1;
  }
  return result + text.slice(index);
}
