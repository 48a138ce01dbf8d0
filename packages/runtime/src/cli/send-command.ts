import { readFile } from "node:fs/promises";
import { request } from "undici";
import { type CommandContext, UsageError } from "./command-context.js";
import { EXIT } from "./exit-codes.js";

/** `hookyard send`: POSTs one event to a running instance's ingest API and prints its answer. */
export async function sendCommand(context: CommandContext): Promise<number> {
  const { values, env } = context;
  const type = values.type;
  if (typeof type !== "string") throw new UsageError("--type is required, e.g. --type order.created");
  let data: unknown = {};
  if (typeof values["data-file"] === "string")
    data = parseJson(await readFile(values["data-file"], "utf8"), "--data-file");
  else if (typeof values.data === "string") data = parseJson(values.data, "--data");
  const base = (typeof values.url === "string" ? values.url : env.HOOKYARD_URL) ?? "http://127.0.0.1:8080";
  const apiKey = typeof values["api-key"] === "string" ? values["api-key"] : env.HOOKYARD_API_KEY;
  const event = {
    type,
    data,
    ...(typeof values.id === "string" ? { id: values.id } : {}),
    ...(typeof values.key === "string" ? { key: values.key } : {}),
  };
  let response: Awaited<ReturnType<typeof request>>;
  try {
    response = await request(new URL("/v1/events", base), {
      method: "POST",
      headers: { "content-type": "application/json", ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}) },
      body: JSON.stringify(event),
      headersTimeout: 30_000,
      bodyTimeout: 30_000,
    });
  } catch (error) {
    context.stderr.write(`hookyard send: cannot reach ${base}: ${(error as Error).message}\n`);
    return EXIT.unavailable;
  }
  const text = await response.body.text();
  if (response.statusCode === 202) {
    context.stdout.write(`${text}\n`);
    return EXIT.ok;
  }
  context.stderr.write(`hookyard send: ${response.statusCode} ${text}\n`);
  return EXIT.unavailable;
}

function parseJson(text: string, flag: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${flag} is not valid JSON: ${(error as Error).message}`);
  }
}
