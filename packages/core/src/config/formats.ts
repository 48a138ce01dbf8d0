import convict from "convict";
import { parseDuration, parseSize } from "./units.js";

/**
 * Convict formats shared by the runtime's schema and connector schemas. Convict keeps formats in one registry per
 * process, so the runtime calls `registerConfigFormats()` before it validates anything; connector tests that use
 * these names call it too. Registering twice is harmless.
 *
 * - `duration`: "500ms", "5s", "5m", "2h", "1d" or a number of milliseconds; the loaded value is milliseconds.
 * - `size`: "512b", "64kb", "1mb", "1gb" or a number of bytes; the loaded value is bytes.
 */
export const CONFIG_FORMATS = Object.freeze({
  duration: {
    description: 'duration ("500ms", "5s", "5m", "2h", "1d" or milliseconds)',
    expected: "a duration such as 500ms, 5s, 5m, 2h, 1d or a number of milliseconds",
    parse: parseDuration,
  },
  size: {
    description: 'size ("512b", "64kb", "1mb" or bytes)',
    expected: "a size such as 512b, 64kb, 1mb or a number of bytes",
    parse: parseSize,
  },
});

export type ConfigFormatName = keyof typeof CONFIG_FORMATS;

export function registerConfigFormats(): void {
  for (const [name, format] of Object.entries(CONFIG_FORMATS)) {
    convict.addFormat({
      name,
      // Unparsable strings are kept as they are so validation can name them.
      coerce: (value: unknown) => format.parse(value) ?? value,
      validate: (value: unknown) => {
        if (typeof value !== "number" || !Number.isInteger(value) || value < 0) throw new Error(format.expected);
      },
    });
  }
}
