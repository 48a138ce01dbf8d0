import type { ApiErrorCode, ErrorCode } from "@hookyard/core";
import type { FastifyReply } from "fastify";

/** Every HTTP error Hookyard answers has this JSON shape, so clients parse one thing. */
export interface ApiErrorBody {
  readonly error: { readonly code: string; readonly message: string; readonly details?: unknown };
}

/** `code` is one of core's API_ERROR_CODES, or (422) the code of a permanent HookyardError (docs/errors.md). */
export function sendApiError(
  reply: FastifyReply,
  status: number,
  code: ApiErrorCode | ErrorCode,
  message: string,
  details?: unknown,
) {
  const body: ApiErrorBody = { error: { code, message, ...(details === undefined ? {} : { details }) } };
  return reply.code(status).type("application/json").send(body);
}
