import type { ApiErrorCode } from "@hookyard/core";
import type { FastifyReply } from "fastify";

/** The JSON error shape of every Hookyard HTTP API (the runtime's http/api-error.ts answers the same). */
export interface ApiErrorBody {
  readonly error: { readonly code: string; readonly message: string; readonly details?: unknown };
}

/** `code` is one of core's API_ERROR_CODES (docs/errors.md). */
export function sendApiError(
  reply: FastifyReply,
  status: number,
  code: ApiErrorCode,
  message: string,
  details?: unknown,
) {
  const body: ApiErrorBody = { error: { code, message, ...(details === undefined ? {} : { details }) } };
  return reply.code(status).type("application/json").send(body);
}

/** Thrown by route handlers; the admin scope's error handler turns it into the JSON error. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: ApiErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

export const notFound = (what: string) => new ApiError(404, "NOT_FOUND", `${what} not found`);
export const invalid = (message: string, details?: unknown) => new ApiError(400, "INVALID_REQUEST", message, details);
