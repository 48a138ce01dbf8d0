import type { FastifyRequest } from "fastify";
import { invalid } from "../api-error.js";

export type Query = Readonly<Record<string, string | undefined>>;

export function queryOf(request: FastifyRequest): Query {
  const query = (request.query ?? {}) as Record<string, unknown>;
  return Object.fromEntries(
    Object.entries(query).map(([key, value]) => [key, Array.isArray(value) ? String(value[0]) : String(value)]),
  );
}

export function paramOf(request: FastifyRequest, name: string): string {
  return String((request.params as Record<string, unknown>)[name] ?? "");
}

export function bodyOf(request: FastifyRequest): Record<string, unknown> {
  const body = request.body ?? {};
  if (typeof body !== "object" || Array.isArray(body)) throw invalid("the request body must be a JSON object");
  return body as Record<string, unknown>;
}

/** A time as ISO 8601 or milliseconds since the epoch. */
export function timeParam(value: unknown, name: string): number | undefined {
  if (value === undefined || value === null || value === "") return undefined;
  const ms =
    typeof value === "number" ? value : /^\d+$/.test(String(value)) ? Number(value) : Date.parse(String(value));
  if (!Number.isFinite(ms)) throw invalid(`${name} must be an ISO 8601 time or milliseconds`);
  return ms;
}

export function limitParam(value: string | undefined, fallback: number, max: number): number {
  if (value === undefined || value === "") return fallback;
  const limit = Number(value);
  if (!Number.isInteger(limit) || limit < 1 || limit > max) throw invalid(`limit must be an integer from 1 to ${max}`);
  return limit;
}

export function optionalString(body: Record<string, unknown>, name: string, max = 2048): string | undefined {
  const value = body[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string" || value.length > max) throw invalid(`${name} must be a string of at most ${max}`);
  return value;
}

export function stringList(body: Record<string, unknown>, name: string): string[] | undefined {
  const value = body[name];
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.length > 100 || !value.every((v) => typeof v === "string" && v.length <= 256)) {
    throw invalid(`${name} must be a list of at most 100 strings`);
  }
  return value as string[];
}

const ID = /^[A-Za-z0-9._-]{1,64}$/;

export function checkId(value: string, name: string): string {
  if (!ID.test(value)) throw invalid(`${name} must match ${ID}`);
  return value;
}
