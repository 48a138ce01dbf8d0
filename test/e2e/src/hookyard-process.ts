import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { withDeadline } from "@hookyard/test-brokers";

export const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));
export const cliPath = fileURLToPath(new URL("../../../packages/runtime/dist/cli.js", import.meta.url));

/** The `hookyard` CLI running as a child process, as a user runs it. */
export interface HookyardProcess {
  readonly child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the first line of stdout/stderr matching `pattern`; rejects with the output so far after the deadline. */
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Like waitForLine, but only lines printed after this call count. */
  waitForNewLine(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Resolves with the exit code (or the signal that ended it). */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal?: NodeJS.Signals): void;
}

export function runHookyard(args: readonly string[], env: Record<string, string> = {}): HookyardProcess {
  return runWatched(process.execPath, [cliPath, ...args], { cwd: repoRoot, env });
}

/**
 * Any command (`npm start`, `npx hookyard …`) as a watched child process. With `group`, the child leads a process
 * group of its own and `kill` signals the whole group, as a terminal's Ctrl-C does (npm runs scripts under `sh`).
 */
export function runWatched(
  command: string,
  args: readonly string[],
  options: { cwd: string; env?: Record<string, string>; group?: boolean },
): HookyardProcess {
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
    detached: options.group === true,
  });
  let out = "";
  let err = "";
  const listeners = new Set<() => void>();
  child.stdout?.on("data", (chunk: Buffer) => {
    out += chunk.toString();
    for (const listener of listeners) listener();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    err += chunk.toString();
    for (const listener of listeners) listener();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on("exit", (code, signal) => {
      for (const listener of listeners) listener();
      resolve({ code, signal });
    });
  });
  let done = false;
  void exited.then(() => {
    done = true;
  });
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    kill: (signal = "SIGTERM") => {
      if (options.group === true && child.pid !== undefined && !done) process.kill(-child.pid, signal);
      else child.kill(signal);
    },
    waitForLine(pattern, timeoutMs = 20_000) {
      return waitForLineFrom(pattern, timeoutMs, 0, 0);
    },
    waitForNewLine(pattern, timeoutMs = 20_000) {
      // From the last complete line on, so a line being written right now still counts.
      return waitForLineFrom(pattern, timeoutMs, out.lastIndexOf("\n") + 1, err.lastIndexOf("\n") + 1);
    },
  };

  function waitForLineFrom(pattern: RegExp, timeoutMs: number, outFrom: number, errFrom: number): Promise<string> {
    const found = new Promise<string>((resolve, reject) => {
      const check = () => {
        const text = `${out.slice(outFrom)}\n${err.slice(errFrom)}`;
        const line = text.split("\n").find((candidate) => pattern.test(candidate));
        if (line !== undefined) {
          listeners.delete(check);
          resolve(line);
        } else if (done) {
          listeners.delete(check);
          reject(new Error(`hookyard exited before printing ${pattern}\nstdout:\n${out}\nstderr:\n${err}`));
        }
      };
      listeners.add(check);
      check();
    });
    return withDeadline(`a line matching ${pattern}`, found, timeoutMs).catch((error: Error) => {
      throw new Error(`${error.message}\nstdout:\n${out.slice(-4000)}\nstderr:\n${err.slice(-4000)}`);
    });
  }
}

/** A port nobody listens on right now (the OS picks it). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}
