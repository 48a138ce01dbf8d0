#!/usr/bin/env node
import { readFileSync, realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { HookyardError } from "@hookyard/core";
import { type CommandContext, UsageError } from "./cli/command-context.js";
import { describeCommand } from "./cli/describe-command.js";
import { EXIT } from "./cli/exit-codes.js";
import { migrateCommand } from "./cli/migrate-command.js";
import { reloadCommand } from "./cli/reload-command.js";
import { reshardCommand } from "./cli/reshard-command.js";
import { schemaCommand } from "./cli/schema-command.js";
import { secretCommand } from "./cli/secret-command.js";
import { sendCommand } from "./cli/send-command.js";
import { startCommand } from "./cli/start-command.js";
import { storageFormatCommand } from "./cli/storage-format-command.js";
import { USAGE } from "./cli/usage.js";
import { validateCommand } from "./cli/validate-command.js";
import { ConfigValidationError } from "./config/problems.js";
import { builtInConnectors } from "./connectors/builtin-connectors.js";
import { createConnectorRegistry } from "./connectors/connector-registry.js";

const COMMANDS: Record<string, (context: CommandContext) => Promise<number>> = {
  start: startCommand,
  validate: validateCommand,
  describe: describeCommand,
  schema: schemaCommand,
  send: sendCommand,
  reload: reloadCommand,
  migrate: migrateCommand,
  reshard: reshardCommand,
  "storage-format": storageFormatCommand,
  secret: secretCommand,
};

/** Runs the CLI and returns its exit code; never exits the process itself (tests call it in-process). */
export async function runCli(
  argv: readonly string[],
  io: {
    stdout: NodeJS.WritableStream;
    stderr: NodeJS.WritableStream;
    env: Readonly<Record<string, string | undefined>>;
  },
): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    io.stderr.write(`hookyard: ${(error as Error).message}\n\n${USAGE}`);
    return EXIT.usage;
  }
  const { values, positionals } = parsed;
  if (values.version) {
    io.stdout.write(`${version()}\n`);
    return EXIT.ok;
  }
  const [name, ...rest] = positionals;
  if (values.help || name === undefined || name === "help") {
    io.stdout.write(USAGE);
    return name === undefined && !values.help ? EXIT.usage : EXIT.ok;
  }
  const command = COMMANDS[name];
  if (!command) {
    io.stderr.write(`hookyard: unknown command ${JSON.stringify(name)}\n\n${USAGE}`);
    return EXIT.usage;
  }
  const registry = createConnectorRegistry(builtInConnectors);
  try {
    return await command({ values, positionals: rest, env: io.env, stdout: io.stdout, stderr: io.stderr, registry });
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(`hookyard ${name}: ${error.message}\n`);
      return EXIT.usage;
    }
    if (error instanceof ConfigValidationError) {
      io.stderr.write(`${error.message}\n`);
      return EXIT.config;
    }
    if (error instanceof HookyardError) {
      io.stderr.write(`hookyard ${name}: ${error.code}: ${error.message}\n`);
      return error.code === "CONFIG_INVALID" || error.code.startsWith("CONNECTOR_") ? EXIT.config : EXIT.failure;
    }
    io.stderr.write(`hookyard ${name}: ${(error as Error)?.stack ?? String(error)}\n`);
    return EXIT.failure;
  }
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      config: { type: "string", short: "c" },
      demo: { type: "boolean" },
      quiet: { type: "boolean", short: "q" },
      url: { type: "string" },
      "api-key": { type: "string" },
      type: { type: "string" },
      data: { type: "string" },
      "data-file": { type: "string" },
      id: { type: "string" },
      key: { type: "string" },
      upgrade: { type: "boolean" },
      version: { type: "boolean", short: "v" },
      help: { type: "boolean", short: "h" },
    },
  });
}

function ignoreClosedReader(error: NodeJS.ErrnoException): void {
  if (error.code === "EPIPE" || error.code === "ERR_STREAM_DESTROYED") return;
  throw error;
}

function version(): string {
  const packageJson = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
    version: string;
  };
  return `hookyard ${packageJson.version}`;
}

/** Runs the CLI on this process's arguments and streams, and ends the process with its exit code. */
export async function main(): Promise<void> {
  // `hookyard validate -c f | head`: the reader leaving is not an error of ours. Output stops; the command still
  // finishes and exits with its own code.
  for (const stream of [process.stdout, process.stderr]) stream.on("error", ignoreClosedReader);
  const code = await runCli(process.argv.slice(2), {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
  });
  process.exitCode = code;
  // Open handles (a dying connection) must not keep a finished CLI alive.
  setTimeout(() => process.exit(code), 200).unref();
}

// Run when executed directly (`node dist/cli.js`), not when imported by tests or by the `hookyard` bin (bin/).
if (process.argv[1] !== undefined && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await main();
}
