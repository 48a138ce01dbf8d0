import createClient, { type Client, type ClientOptions } from "openapi-fetch";
import type { components, operations, paths } from "./generated/openapi.js";

export type { components, operations, paths };

/** A typed client of one Hookyard server: every path, body and response typed from the OpenAPI document. */
export type HookyardClient = Client<paths>;

export interface HookyardClientOptions {
  /** The server's base URL, e.g. https://hooks.example.com (the API paths are absolute: /v1/…, /admin/v1/…). */
  readonly baseUrl: string;
  /** An ingest API key, an admin API key or a portal token (sent as `Authorization: Bearer …`). */
  readonly apiKey: string;
  /** A fetch of your own (proxies, retries, tests). Default: the global fetch. */
  readonly fetch?: ClientOptions["fetch"];
}

/**
 * `const hookyard = createHookyardClient({ baseUrl, apiKey }); const { data, error } = await
 * hookyard.POST("/v1/events", { body: { type: "invoice.paid", data: { id: 1 } } });` — `error` is the typed
 * `{ error: { code, message, details? } }` body of a 4xx/5xx; nothing throws on an HTTP error.
 */
export function createHookyardClient(options: HookyardClientOptions): HookyardClient {
  return createClient<paths>({
    baseUrl: options.baseUrl.replace(/\/+$/, ""),
    headers: { authorization: `Bearer ${options.apiKey}` },
    ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
  });
}

/** The error body every Hookyard API answers with. */
export type HookyardApiError = components["schemas"]["Error"];
