import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { scratchDir } from "@hookyard/test-brokers";
import { stringify } from "yaml";

/** Writes a config object as a YAML file in a fresh temp folder, as a user would keep it next to Hookyard. */
export function writeConfigFile(config: Record<string, unknown>): string {
  const file = join(scratchDir("hookyard-config"), "hookyard.yaml");
  writeFileSync(file, stringify(config));
  return file;
}
