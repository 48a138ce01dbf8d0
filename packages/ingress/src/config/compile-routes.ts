import {
  appendIndex,
  appendKey,
  type CompiledPath,
  compileFilter,
  compilePath,
  compileTypePattern,
  describeValue,
  HookyardError,
} from "@hookyard/core";
import type { Schema } from "convict";
import { VERIFIERS } from "../verifiers/registry.js";
import type { Verifier, VerifierDefinition } from "../verifiers/verifier.js";
import type { CompiledRule, IngressRoute, ValueSource } from "./route.js";
import {
  ROUTE_FREE_FORM_KEYS,
  type RouteSettings,
  RULE_FREE_FORM_KEYS,
  type RuleSettings,
  routeSchema,
  ruleSchema,
  type ValueSourceSettings,
} from "./route-schema.js";

/** A key path as segments: object keys and array indexes (`ingress.routes[0].verifier.secrets`). */
export type Segments = readonly (string | number)[];

export interface RouteProblem {
  readonly at: Segments;
  readonly expected: string;
  readonly found: string;
  /** Spelled-out path when the problem lies inside a free-form value (a filter); `at` then locates its key. */
  readonly path?: string;
}

/**
 * How `compileRoutes` validates sections: the runtime passes its config loader's convict validation (unknown keys
 * refused, strings from `${VAR}` coerced, every problem reported with its key path), so ingress keys get the same
 * error messages as every other key. `createConvictValidation()` is a plain implementation for tests.
 */
export interface RouteValidation {
  section<T>(schema: Schema<T>, input: unknown, at: Segments, freeForm: readonly string[]): { value: T; ok: boolean };
  problem(problem: RouteProblem): void;
}

export interface CompileRoutesOptions {
  /** Where the list sits in the file. Default ["ingress", "routes"]. */
  readonly at?: Segments;
  /** Ids that rules may target (sinks and endpoints). Unset: targets are not checked here. */
  readonly targets?: readonly string[];
}

export interface CompiledRoutes {
  /** The routes that passed validation (all of them when no problem was reported). */
  readonly routes: readonly IngressRoute[];
  /** Key paths holding secrets, for redaction of the loaded config. */
  readonly sensitivePaths: readonly Segments[];
}

/**
 * Validates and compiles `ingress.routes`: each route against `routeSchema`, its verifier against its type's
 * schema (and constructor), each rule's filter and type globs, unique ids and paths, known targets. Problems go
 * to `validation.problem`, all of them, never a secret's value.
 */
export function compileRoutes(
  input: unknown,
  validation: RouteValidation,
  options: CompileRoutesOptions = {},
): CompiledRoutes {
  const base = options.at ?? ["ingress", "routes"];
  if (input === undefined || input === null) return { routes: [], sensitivePaths: [] };
  if (!Array.isArray(input)) {
    validation.problem({ at: base, expected: "a list of routes", found: describeValue(input) });
    return { routes: [], sensitivePaths: [] };
  }
  const targets = options.targets === undefined ? undefined : new Set(options.targets);
  const routes: IngressRoute[] = [];
  const sensitivePaths: Segments[] = [];
  const ids = new Map<string, number>();
  const paths = new Map<string, number>();
  for (const [index, item] of input.entries()) {
    const at = [...base, index];
    sensitivePaths.push([...at, "verifier", "secrets"]);
    const route = compileRoute(item, at, validation, targets);
    if (isRecord(item)) {
      claimUnique(ids, item.id, index, [...at, "id"], "id", base, validation);
      claimUnique(paths, item.path, index, [...at, "path"], "path", base, validation);
    }
    if (route !== undefined) routes.push(route);
  }
  return { routes, sensitivePaths };
}

function compileRoute(
  item: unknown,
  at: Segments,
  validation: RouteValidation,
  targets: ReadonlySet<string> | undefined,
): IngressRoute | undefined {
  const { value, ok } = validation.section<RouteSettings>(routeSchema, item, at, ROUTE_FREE_FORM_KEYS);
  const raw = isRecord(item) ? item : {};
  const verifier = compileVerifier(raw.verifier, [...at, "verifier"], validation);
  const rules = compileRules(raw.rules, [...at, "rules"], validation, targets);
  checkTargets(value.defaultTargets, [...at, "defaultTargets"], validation, targets);
  const eventType = compileValueSource(value.eventType, [...at, "eventType"], validation);
  const eventId = compileValueSource(value.eventId, [...at, "eventId"], validation);
  if (ok && rules !== undefined && rules.length === 0 && value.defaultTargets.length === 0) {
    validation.problem({
      at: [...at, "rules"],
      expected: "at least one rule, or defaultTargets",
      found: "neither (every event would be dropped)",
    });
    return undefined;
  }
  const { limits } = value;
  if (limits.burst !== null && limits.ratePerSecond === null) {
    validation.problem({
      at: [...at, "limits", "ratePerSecond"],
      expected: "a rate when burst is set",
      found: "nothing",
    });
    return undefined;
  }
  if (!ok || verifier === undefined || rules === undefined || eventType === false || eventId === false)
    return undefined;
  const keepHeaders = new Set([
    ...verifier.definition.keepHeaders,
    ...value.forwardHeaders.map((h) => h.toLowerCase()),
  ]);
  for (const name of verifier.sensitiveHeaders) keepHeaders.delete(name);
  return Object.freeze({
    id: value.id,
    path: value.path,
    enabled: value.enabled,
    verifierType: verifier.definition.type,
    verifier: verifier.verifier,
    sensitiveHeaders: verifier.sensitiveHeaders,
    keepHeaders: [...keepHeaders],
    limits: {
      maxBodyBytes: limits.maxBodyBytes,
      allowCidrs: limits.allowCidrs,
      denyCidrs: limits.denyCidrs,
      ...(limits.ratePerSecond === null
        ? {}
        : { ratePerSecond: limits.ratePerSecond, burst: limits.burst ?? limits.ratePerSecond }),
      ...(limits.concurrency === null ? {} : { concurrency: limits.concurrency }),
    },
    dedup: { enabled: value.dedup.enabled, ttlMs: value.dedup.ttl },
    rules,
    defaultTargets: value.defaultTargets,
    ...(value.publicUrl === null ? {} : { publicUrl: value.publicUrl }),
    ...(verifier.definition.ackResponse === undefined ? {} : { ackResponse: verifier.definition.ackResponse }),
    ...(eventType === undefined ? {} : { eventType }),
    ...(eventId === undefined ? {} : { eventId }),
  });
}

interface CompiledVerifier {
  readonly definition: VerifierDefinition<object>;
  readonly verifier: Verifier;
  readonly sensitiveHeaders: ReadonlySet<string>;
}

function compileVerifier(raw: unknown, at: Segments, validation: RouteValidation): CompiledVerifier | undefined {
  const types = Object.keys(VERIFIERS);
  if (!isRecord(raw)) {
    validation.problem({ at, expected: `a verifier { type, secrets, … }`, found: describeValue(raw) });
    return undefined;
  }
  const definition = typeof raw.type === "string" ? VERIFIERS[raw.type] : undefined;
  if (definition === undefined || !Object.hasOwn(VERIFIERS, raw.type as string)) {
    validation.problem({
      at: [...at, "type"],
      expected: `one of ${types.map((type) => JSON.stringify(type)).join(", ")}`,
      found: describeValue(raw.type),
    });
    return undefined;
  }
  const { value, ok } = validation.section<object>(definition.schema, raw, at, []);
  if (!ok) return undefined;
  try {
    return {
      definition,
      verifier: definition.create(value),
      sensitiveHeaders: new Set(definition.sensitiveHeaders(value)),
    };
  } catch (error) {
    if (!(error instanceof HookyardError) || error.code !== "CONFIG_INVALID") throw error;
    validation.problem({ at, expected: "a valid verifier", found: error.message });
    return undefined;
  }
}

function compileRules(
  raw: unknown,
  at: Segments,
  validation: RouteValidation,
  targets: ReadonlySet<string> | undefined,
): CompiledRule[] | undefined {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) {
    validation.problem({ at, expected: "a list of rules { match, types, targets }", found: describeValue(raw) });
    return undefined;
  }
  const rules: CompiledRule[] = [];
  let allOk = true;
  for (const [index, item] of raw.entries()) {
    const ruleAt = [...at, index];
    const { value, ok } = validation.section<RuleSettings>(ruleSchema, item, ruleAt, RULE_FREE_FORM_KEYS);
    const match = isRecord(item) ? item.match : undefined;
    const filter =
      match === undefined || match === null
        ? undefined
        : compileSpec(() => compileFilter(match, pathText([...ruleAt, "match"])), [...ruleAt, "match"], validation);
    const types = value.types.map((type, position) =>
      compileSpec(
        () => compileTypePattern(type, pathText([...ruleAt, "types", position])),
        [...ruleAt, "types", position],
        validation,
      ),
    );
    if (ok && value.targets.length === 0) {
      validation.problem({ at: [...ruleAt, "targets"], expected: "at least one target", found: "an empty list" });
      allOk = false;
    }
    checkTargets(value.targets, [...ruleAt, "targets"], validation, targets);
    if (!ok || filter === null || types.includes(null)) {
      allOk = false;
      continue;
    }
    rules.push(
      Object.freeze({
        types: types.filter((type) => type !== null),
        targets: value.targets,
        ...(filter === undefined ? {} : { filter }),
      }),
    );
  }
  return allOk ? rules : undefined;
}

/** Runs a spec compiler (filter, glob); its CONFIG_INVALID error becomes a located problem and null. */
function compileSpec<T>(compile: () => T, at: Segments, validation: RouteValidation): T | null {
  try {
    return compile();
  } catch (error) {
    if (!(error instanceof HookyardError) || error.code !== "CONFIG_INVALID") throw error;
    const { expected, found } = error.details as { expected?: string; found?: string };
    const separator = error.message.indexOf(": expected ");
    const path = separator === -1 ? pathText(at) : error.message.slice(0, separator);
    validation.problem({ at, path, expected: expected ?? "a valid value", found: found ?? error.message });
    return null;
  }
}

/** undefined = not overridden; false = invalid (reported). */
function compileValueSource(
  settings: ValueSourceSettings,
  at: Segments,
  validation: RouteValidation,
): ValueSource | undefined | false {
  const given = (["header", "jsonPath", "value"] as const).filter((key) => settings[key] !== null);
  if (given.length === 0) return undefined;
  if (given.length > 1) {
    validation.problem({ at, expected: "one of header, jsonPath or value", found: given.join(" and ") });
    return false;
  }
  if (settings.header !== null) return { header: settings.header.toLowerCase() };
  if (settings.value !== null) {
    if (settings.value.length === 0) {
      validation.problem({ at: [...at, "value"], expected: "a non-empty string", found: '""' });
      return false;
    }
    return { value: settings.value };
  }
  const path: CompiledPath | string = compilePath(settings.jsonPath ?? "");
  if (typeof path === "string") {
    validation.problem({ at: [...at, "jsonPath"], expected: "a dotted path such as data.kind", found: path });
    return false;
  }
  return { jsonPath: path };
}

function checkTargets(
  list: readonly string[],
  at: Segments,
  validation: RouteValidation,
  targets: ReadonlySet<string> | undefined,
): void {
  if (targets === undefined) return;
  for (const [position, id] of list.entries()) {
    if (!targets.has(id)) {
      validation.problem({
        at: [...at, position],
        expected: "the id of a sink or endpoint defined in the config",
        found: `${JSON.stringify(id)}, which is not defined`,
      });
    }
  }
}

function claimUnique(
  seen: Map<string, number>,
  value: unknown,
  index: number,
  at: Segments,
  what: string,
  base: Segments,
  validation: RouteValidation,
): void {
  if (typeof value !== "string") return;
  const earlier = seen.get(value);
  if (earlier === undefined) {
    seen.set(value, index);
    return;
  }
  validation.problem({
    at,
    expected: `a unique ${what}`,
    found: `${JSON.stringify(value)}, already used by ${pathText([...base, earlier])}`,
  });
}

export function pathText(segments: Segments): string {
  let text = "";
  for (const segment of segments) {
    text = typeof segment === "number" ? appendIndex(text, segment) : appendKey(text, segment);
  }
  return text;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}
