import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const made: string[] = [];
let removing = false;

/** Removes every scratch folder of this process: the test runner runs each test file in a process of its own. */
function removeAll(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/**
 * A fresh folder under the OS temp folder (`<prefix>-XXXXXX`), removed when the process exits, whatever the tests
 * did: config files, schemas, a private server's data. A full run of the suite made several hundred of them, and
 * left them all behind.
 */
export function scratchDir(prefix: string): string {
  if (!removing) {
    removing = true;
    process.once("exit", removeAll);
  }
  const dir = mkdtempSync(join(tmpdir(), `${prefix}-`));
  made.push(dir);
  return dir;
}
