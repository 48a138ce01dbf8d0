import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";

/** Writes a config object as a YAML file in a fresh temp folder, as a user would keep it next to Hookyard. */
export function writeConfigFile(config: Record<string, unknown>): string {
  const file = join(mkdtempSync(join(tmpdir(), "hookyard-config-")), "hookyard.yaml");
  writeFileSync(file, stringify(config));
  return file;
}
