import type { ConfigReloadReport } from "@hookyard/admin";
import { request } from "undici";
import { type CommandContext, loadCommandConfig } from "./command-context.js";
import { EXIT } from "./exit-codes.js";

interface ErrorBody {
  readonly error?: { readonly code?: string; readonly message?: string; readonly details?: { problems?: string[] } };
}

/**
 * `hookyard reload [-c FILE]`: asks a running instance (its admin API, with an admin key) to re-read its config
 * file. Prints what was applied and what only a restart applies; an invalid file is refused with `validate`'s
 * messages (exit 78) and the instance keeps running its current config.
 */
export async function reloadCommand(context: CommandContext): Promise<number> {
  const { base, apiKey } = await target(context);
  let response: Awaited<ReturnType<typeof request>>;
  try {
    response = await request(new URL("/admin/v1/config/reload", base), {
      method: "POST",
      headers: apiKey ? { authorization: `Bearer ${apiKey}` } : {},
      headersTimeout: 60_000,
      bodyTimeout: 60_000,
    });
  } catch (error) {
    context.stderr.write(`hookyard reload: cannot reach ${base}: ${(error as Error).message}\n`);
    return EXIT.unavailable;
  }
  const text = await response.body.text();
  if (response.statusCode === 200) {
    context.stdout.write(describeReport(JSON.parse(text) as ConfigReloadReport));
    return EXIT.ok;
  }
  const body = parseError(text);
  if (response.statusCode === 422 && body.error?.code === "CONFIG_INVALID") {
    const problems = body.error.details?.problems ?? [];
    const count = problems.length === 1 ? "1 problem" : `${problems.length} problems`;
    context.stderr.write(`hookyard reload: refused, the running config stays. Invalid config (${count}):\n`);
    for (const problem of problems) context.stderr.write(`  ${problem}\n`);
    return EXIT.config;
  }
  const reason = body.error === undefined ? text : `${body.error.code}: ${body.error.message}`;
  context.stderr.write(`hookyard reload: ${response.statusCode} ${reason}\n`);
  return response.statusCode === 503 ? EXIT.unavailable : EXIT.failure;
}

/**
 * Where to send the reload and with which key: --url / --api-key, else $HOOKYARD_ADMIN_URL /
 * $HOOKYARD_ADMIN_API_KEY, else the config file (-c or $HOOKYARD_CONFIG, as in the Docker image): its admin listener
 * on this host and its first admin key. Reading the file validates it: an invalid one exits 78 with validate's
 * messages, which is what the instance would answer.
 */
async function target(context: CommandContext): Promise<{ base: string; apiKey: string | undefined }> {
  const { values, env } = context;
  let base = typeof values.url === "string" ? values.url : env.HOOKYARD_ADMIN_URL;
  let apiKey = typeof values["api-key"] === "string" ? values["api-key"] : env.HOOKYARD_ADMIN_API_KEY;
  const file = values.config ?? env.HOOKYARD_CONFIG;
  if ((base === undefined || apiKey === undefined) && typeof file === "string" && file !== "") {
    const config = await loadCommandConfig(context, file);
    const listener = config.server.internal ?? config.server;
    const host = ["0.0.0.0", "::", ""].includes(listener.host) ? "127.0.0.1" : listener.host;
    base ??= `http://${host.includes(":") ? `[${host}]` : host}:${listener.port}`;
    apiKey ??= config.admin.apiKeys[0];
  }
  return { base: base ?? env.HOOKYARD_URL ?? "http://127.0.0.1:8080", apiKey };
}

function describeReport(report: ConfigReloadReport): string {
  const { config } = report;
  const lines = [
    report.result === "unchanged"
      ? `${config.file}: unchanged (sha256 ${config.hash})`
      : `${config.file}: reloaded (sha256 ${config.hash}); applied: ${report.applied.join(", ") || "nothing live"}`,
  ];
  if (report.restartRequired.length > 0) {
    lines.push("needs a restart (the running instance keeps its current values for these):");
    for (const path of report.restartRequired) lines.push(`  ${path}`);
  }
  return `${lines.join("\n")}\n`;
}

function parseError(text: string): ErrorBody {
  try {
    return JSON.parse(text) as ErrorBody;
  } catch {
    return {};
  }
}
