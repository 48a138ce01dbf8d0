import { PassThrough } from "node:stream";
import { runCli } from "../cli.js";

/** Runs the CLI in-process as a test would from a shell: its exit code and everything it wrote. */
export async function runCliCaptured(
  args: readonly string[],
  env: Readonly<Record<string, string>> = {},
): Promise<{ code: number; out: string; err: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const chunks = { out: "", err: "" };
  stdout.on("data", (c) => (chunks.out += c));
  stderr.on("data", (c) => (chunks.err += c));
  const code = await runCli(args, { stdout, stderr, env });
  return { code, ...chunks };
}
