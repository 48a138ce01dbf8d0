import { CONFIG_FORMATS, type DescribedFormat } from "@hookyard/core";

const BUILT_IN_TYPES: Readonly<Record<string, string>> = {
  String: "a string",
  Number: "a number",
  Boolean: "true or false",
  Object: "an object",
  Array: "a list",
  RegExp: "a regular expression",
};

/** What a key's format accepts, in words: "an http(s) URL", "a duration …", "one of "info", "debug"". */
export function describeFormat(spec: Readonly<Record<string, unknown>>): string {
  const format = spec.format;
  if (typeof format === "function") {
    const expected = (format as Partial<DescribedFormat>).expected;
    if (typeof expected === "string") return expected;
    const builtIn = BUILT_IN_TYPES[format.name];
    if (builtIn !== undefined) return builtIn;
    return "a valid value";
  }
  if (Array.isArray(format)) return `one of ${format.map((item) => JSON.stringify(item)).join(", ")}`;
  if (typeof format === "string") {
    const builtIn = BUILT_IN_TYPES[format];
    if (builtIn !== undefined) return builtIn;
    if (format in CONFIG_FORMATS) return CONFIG_FORMATS[format as keyof typeof CONFIG_FORMATS].description;
    const named: Readonly<Record<string, string>> = {
      "*": "any value",
      int: "an integer",
      integer: "an integer",
      nat: "a whole number ≥ 0",
      port: "a port number (0-65535)",
    };
    return named[format] ?? format;
  }
  if (format === undefined) {
    const value = spec.default;
    if (typeof value === "string") return "a string";
    if (typeof value === "number") return "a number";
    if (typeof value === "boolean") return "true or false";
    if (Array.isArray(value)) return "a list";
    if (value !== null && typeof value === "object") return "an object";
  }
  return "any value";
}

/** Turns a convict validation message into the "expected …" half of a config error. */
export function expectationFromConvict(message: string): string {
  const type = /^(?:must be|\s*should be) of type (\w+)$/.exec(message);
  if (type?.[1] !== undefined) return BUILT_IN_TYPES[type[1]] ?? `a ${type[1].toLowerCase()}`;
  const oneOf = /^must be one of the possible values: (.*)$/.exec(message);
  if (oneOf?.[1] !== undefined) {
    try {
      const values = JSON.parse(oneOf[1]) as unknown[];
      return `one of ${values.map((value) => JSON.stringify(value)).join(", ")}`;
    } catch {
      return `one of ${oneOf[1]}`;
    }
  }
  if (message === "must be a positive integer") return "a whole number ≥ 0";
  if (message.startsWith("ports must be within range")) return "a port number (0-65535)";
  if (message.startsWith("must be ")) return message.slice("must be ".length);
  return message;
}
