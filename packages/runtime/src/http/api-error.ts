import type { FastifyReply } from "fastify";

/** Every HTTP error Hookyard answers has this JSON shape, so clients parse one thing. */
export interface ApiErrorBody {
  readonly error: { readonly code: string; readonly message: string; readonly details?: unknown };
}

export function sendApiError(reply: FastifyReply, status: number, code: string, message: string, details?: unknown) {
  const body: ApiErrorBody = { error: { code, message, ...(details === undefined ? {} : { details }) } };
  return reply.code(status).type("application/json").send(body);
}
