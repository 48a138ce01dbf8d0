import { createSchemaCompiler, type EventType, type PortalBranding, type SchemaCompiler } from "@hookyard/admin";
import {
  type ConnectorDefinition,
  compileEnvelopeMapping,
  compileFilter,
  compileTypePattern,
  describeValue,
  type Endpoint,
  type EnvelopeMappingSpec,
  type FilterSpec,
  formatDuration,
  HookyardError,
  isCredentialHeader,
  parseDuration,
  registerConfigFormats,
} from "@hookyard/core";
import { compileRoutes, type IngressRoute, type RouteValidation } from "@hookyard/ingress";
import type { Schema } from "convict";
import { createProblemCollector, type ProblemCollector } from "./collect-problems.js";
import { parseHostPort } from "./formats.js";
import { checkHeaders } from "./headers.js";
import { historySettings } from "./history-settings.js";
import { interpolateEnv } from "./interpolate-env.js";
import { pathText, type Segments } from "./key-path.js";
import { OPERATOR_ENDPOINT_PREFIX, OPERATOR_OWNER, operatorEndpointId } from "./operator-endpoint-id.js";
import { OPERATOR_EVENT_TYPES, type OperatorEventType } from "./operator-event-types.js";
import { ConfigValidationError } from "./problems.js";
import { type ParsedFile, parseConfigText, readConfigFile } from "./read-config-file.js";
import {
  type ConnectorEntrySettings,
  type EndpointSettings,
  type EventTypeSettings,
  endpointSchema,
  eventTypeSchema,
  LIST_KEYS,
  operatorEndpointSchema,
  type RuntimeSettings,
  runtimeSchema,
  type SubscriptionSettings,
  sinkEntrySchema,
  sourceEntrySchema,
  subscriptionSchema,
} from "./schema.js";
import { schemaLeaves } from "./schema-walk.js";
import { createShownConfig, displaySection, type ShownConfig, shownConfig } from "./shown-config.js";
import { suggest } from "./suggest.js";
import { telemetrySettings } from "./telemetry-settings.js";
import type { HookyardConfig, OperatorEndpoint, RedisSettings, SinkEntry, SourceEntry, Subscription } from "./types.js";
import { validateSection } from "./validate-section.js";

export type ResolveConnector = (type: string) => ConnectorDefinition | Promise<ConnectorDefinition>;

export interface LoadConfigOptions {
  /** Variables for `${VAR}` interpolation (usually process.env). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Finds a connector by `type` (built-in list, else an npm package). Throws when there is none. */
  readonly resolveConnector: ResolveConnector;
}

/**
 * Reads, interpolates and validates a config file. Resolves to a frozen `HookyardConfig`, or rejects with a
 * `ConfigValidationError` (code CONFIG_INVALID) listing every problem, each naming the file and the key path.
 */
export async function loadConfig(file: string, options: LoadConfigOptions): Promise<HookyardConfig> {
  let parsed: ParsedFile | undefined;
  const locate = (segments: Segments) => parsed?.locate(segments);
  const problems = createProblemCollector(file, locate);
  parsed = await readConfigFile(file, problems);
  if (parsed === undefined) throw new ConfigValidationError(file, problems.list());
  return validateConfig(parsed, problems, options);
}

/** The same from text, for tests and the admin API. `file` only names the source in messages. */
export async function loadConfigText(text: string, file: string, options: LoadConfigOptions): Promise<HookyardConfig> {
  let parsed: ParsedFile | undefined;
  const problems = createProblemCollector(file, (segments) => parsed?.locate(segments));
  parsed = parseConfigText(text, problems);
  if (parsed === undefined) throw new ConfigValidationError(file, problems.list());
  return validateConfig(parsed, problems, options);
}

async function validateConfig(
  parsed: ParsedFile,
  problems: ProblemCollector,
  options: LoadConfigOptions,
): Promise<HookyardConfig> {
  registerConfigFormats();
  const raw = parsed.value;
  const file = problems.file;
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    problems.add([], "a config object (server, redis, endpoints, subscriptions, …)", describeValue(raw));
    throw new ConfigValidationError(file, problems.list());
  }
  const input = interpolateEnv(raw, options.env, problems) as Record<string, unknown>;
  const sensitivePaths: string[] = [];

  const shown = createShownConfig();
  const settings = validateSection(runtimeSchema, input, [], problems, LIST_KEYS).value;
  shown.runtime = displaySection(runtimeSchema as Schema<unknown>, settings);
  sensitivePaths.push(...sensitiveLeafPaths(runtimeSchema, []));
  checkRuntimeSettings(settings, problems);
  const history = historySettings(settings.history, options.env, problems);
  const telemetry = telemetrySettings(settings.telemetry, options.env, problems);

  const lists = Object.fromEntries(LIST_KEYS.map((key) => [key, listAt(input, key, problems)])) as Record<
    (typeof LIST_KEYS)[number],
    readonly unknown[]
  >;

  const endpoints = lists.endpoints.map((item, index) =>
    buildEndpoint(item, ["endpoints", index], settings, { problems, sensitivePaths, shown }),
  );
  const operatorItems = operatorEndpointItems(input, settings, problems);
  const operatorEndpoints = operatorItems.map((item, index) =>
    buildOperatorEndpoint(item, index, settings, { problems, sensitivePaths, shown }),
  );
  checkUniqueIds("operator.endpoints", operatorItems, problems);
  const subscriptions = lists.subscriptions.map((item, index) => buildSubscription(item, index, problems, shown));
  const compiler = createSchemaCompiler();
  const eventTypes = lists.eventTypes.map((item, index) => buildEventType(item, index, compiler, problems));
  const connectors = createConnectorCache(options.resolveConnector);
  const sources = await Promise.all(
    lists.sources.map((item, index) =>
      buildConnectorEntry("sources", item, index, connectors, { problems, sensitivePaths, shown }),
    ),
  );
  const sinks = await Promise.all(
    lists.sinks.map((item, index) =>
      buildConnectorEntry("sinks", item, index, connectors, { problems, sensitivePaths, shown }),
    ),
  );

  for (const list of LIST_KEYS) {
    if (list !== "eventTypes") checkUniqueIds(list, lists[list], problems);
  }
  checkUniqueNames(lists.eventTypes, problems);
  checkSubscriptionTargets(lists.subscriptions, lists.endpoints, problems);
  checkLeaseCoversTimeouts(settings.delivery.lease, endpoints as Endpoint[], problems);
  checkTargetNamespaces(lists.sinks, lists.endpoints, problems);
  // From the file itself, not the validated section: a problem elsewhere in the runtime keys (which replaces the
  // section by its defaults) must not hide the routes' own problems until it is fixed.
  const rawIngress = isPlainObject(input.ingress) ? input.ingress.routes : undefined;
  const routeItems = Array.isArray(rawIngress) ? rawIngress : settings.ingress.routes;
  const routes = compileIngressRoutes(routeItems, lists, problems, sensitivePaths);

  if (problems.list().length > 0) throw new ConfigValidationError(file, problems.list());

  const config: HookyardConfig = {
    file,
    hash: parsed.hash,
    server: serverSettings(settings.server),
    log: { ...settings.log },
    redis: redisSettings(settings.redis),
    history,
    telemetry,
    ingest: { ...settings.ingest },
    admin: {
      enabled: settings.admin.enabled,
      apiKeys: settings.admin.apiKeys,
      portal: {
        ...(settings.admin.portal.signingKey === null ? {} : { signingKey: settings.admin.portal.signingKey }),
        tokenTtlMs: settings.admin.portal.tokenTtl,
        frameAncestors: settings.admin.portal.frameAncestors,
        branding: brandingOf(settings.admin.portal.branding),
      },
      secretGraceMs: settings.admin.secretRotationGrace,
    },
    egress: {
      allowCidrs: settings.egress.allowCidrs,
      timeoutMs: settings.egress.timeout,
      maxResponseBodyBytes: settings.egress.maxResponseBodyBytes,
      ...(settings.egress.proxy === null ? {} : { proxy: settings.egress.proxy }),
    },
    delivery: {
      concurrency: settings.delivery.concurrency,
      leaseMs: settings.delivery.lease,
      dedupWindowMs: settings.delivery.dedupWindow,
    },
    endpoints: endpoints as Endpoint[],
    subscriptions: subscriptions as Subscription[],
    eventTypes: eventTypes as EventType[],
    sources: sources as SourceEntry[],
    sinks: sinks as SinkEntry[],
    ingress: { routes },
    operator: {
      endpoints: operatorEndpoints as OperatorEndpoint[],
      outboxFillAlert: settings.operator.outboxFillAlert,
    },
    sensitivePaths,
    shown: shownConfig(shown, routeItems),
  };
  return deepFreeze(config);
}

function brandingOf(branding: RuntimeSettings["admin"]["portal"]["branding"]): PortalBranding {
  const colors = Object.fromEntries(Object.entries(branding.colors).filter(([, value]) => value !== null));
  return {
    ...(branding.name === null ? {} : { name: branding.name }),
    ...(branding.logoUrl === null ? {} : { logoUrl: branding.logoUrl }),
    ...(Object.keys(colors).length === 0 ? {} : { colors }),
    theme: branding.theme,
  };
}

function listAt(input: Record<string, unknown>, key: string, problems: ProblemCollector): readonly unknown[] {
  const value = input[key];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) {
    problems.add([key], "a list", describeValue(value));
    return [];
  }
  return value;
}

function sensitiveLeafPaths(schema: Schema<unknown>, prefix: Segments): string[] {
  return schemaLeaves(schema)
    .filter((leaf) => leaf.sensitive)
    .map((leaf) => pathText([...prefix, ...leaf.segments]));
}

/** Shorter than a broker's redelivery is no de-duplication; longer than a month is memory for nothing. */
const DEDUP_WINDOW_MIN_MS = 60_000;
const DEDUP_WINDOW_MAX_MS = 30 * 24 * 60 * 60 * 1000;

function checkRuntimeSettings(settings: RuntimeSettings, problems: ProblemCollector): void {
  if (settings.redis.url !== null && settings.redis.cluster.length > 0) {
    problems.add(["redis", "cluster"], "either redis.url or redis.cluster, not both", "both set");
  }
  const window = settings.delivery.dedupWindow;
  if (window < DEDUP_WINDOW_MIN_MS || window > DEDUP_WINDOW_MAX_MS) {
    problems.add(["delivery", "dedupWindow"], "a duration between 1m and 30d", formatDuration(window));
  }
  const { internal } = settings.server;
  if (internal.port !== null && internal.port !== 0 && internal.port === settings.server.port) {
    problems.add(["server", "internal", "port"], "a port other than server.port", String(internal.port));
  }
  if (settings.admin.enabled && settings.admin.apiKeys.length === 0) {
    problems.add(["admin", "apiKeys"], "at least one API key while admin.enabled is true", "an empty list");
  }
  if (settings.ingest.enabled && settings.ingest.apiKeys.length === 0) {
    problems.add(["ingest", "apiKeys"], "at least one API key while ingest.enabled is true", "an empty list");
  }
}

function serverSettings(server: RuntimeSettings["server"]): HookyardConfig["server"] {
  const { host, port, shutdownGrace, internal } = server;
  return {
    host,
    port,
    shutdownGraceMs: shutdownGrace,
    connectorCheckIntervalMs: server.connectorCheckInterval,
    trustProxy: server.trustProxy,
    forwardedHeader: server.forwardedHeader,
    storeTimeoutMs: server.storeTimeout,
    ...(internal.port === null ? {} : { internal: { host: internal.host, port: internal.port } }),
  };
}

function redisSettings(redis: RuntimeSettings["redis"]): RedisSettings {
  const safety = {
    ack: { mode: redis.ackDurability, replicas: redis.ackReplicas, timeoutMs: redis.ackReplicaTimeout },
    unverifiedConfig: redis.unverifiedConfig,
    shards: redis.shards,
  };
  if (redis.url !== null) return { mode: "standalone", url: redis.url, prefix: redis.prefix, ...safety };
  if (redis.cluster.length > 0) {
    return {
      mode: "cluster",
      ...safety,
      nodes: redis.cluster.map((node) => parseHostPort(node) as { host: string; port: number }),
      tls: redis.tls,
      prefix: redis.prefix,
      ...(redis.username === null ? {} : { username: redis.username }),
      ...(redis.password === null ? {} : { password: redis.password }),
    };
  }
  return { mode: "embedded", prefix: redis.prefix };
}

/** Where a section builder reports: problems, secret key paths, and the shown (printable) config. */
interface Collectors {
  readonly problems: ProblemCollector;
  readonly sensitivePaths: string[];
  readonly shown: ShownConfig;
}

/** `operator.endpoints` from the file itself (like ingress.routes: a problem elsewhere must not hide its own). */
function operatorEndpointItems(
  input: Record<string, unknown>,
  settings: RuntimeSettings,
  problems: ProblemCollector,
): readonly unknown[] {
  const raw = isPlainObject(input.operator) ? input.operator.endpoints : undefined;
  if (raw === undefined) return settings.operator.endpoints;
  if (!Array.isArray(raw)) {
    problems.add(["operator", "endpoints"], "a list", describeValue(raw));
    return [];
  }
  return raw;
}

/** An operator endpoint: validated like an endpoint, its id prefixed "operator:", owned by "hookyard". */
function buildOperatorEndpoint(
  item: unknown,
  index: number,
  settings: RuntimeSettings,
  collectors: Collectors,
): OperatorEndpoint | undefined {
  const at: Segments = ["operator", "endpoints", index];
  const schema = operatorEndpointSchema as Schema<unknown> as Schema<EndpointSettings>;
  const endpoint = buildEndpoint(item, at, settings, collectors, schema);
  // Signing secrets are required like any endpoint's (secrets: 1 to 10): operator alerts are always signed.
  const raw = isPlainObject(item) ? item : {};
  if (endpoint === undefined) return undefined;
  // Validated with the endpoint's keys above (the operator schema includes `events`).
  const events = Array.isArray(raw.events) ? (raw.events as OperatorEventType[]) : [...OPERATOR_EVENT_TYPES];
  return { endpoint: { ...endpoint, id: operatorEndpointId(endpoint.id), owner: OPERATOR_OWNER }, events };
}

function buildEndpoint(
  item: unknown,
  at: Segments,
  settings: RuntimeSettings,
  { problems, sensitivePaths, shown }: Collectors,
  schema: Schema<EndpointSettings> = endpointSchema,
): Endpoint | undefined {
  // An operator endpoint's own keys (events) were validated by its caller; the endpoint keys are checked here.
  const validated = validateSection(schema, item, at, problems, ["headers"]);
  const value = validated.value as EndpointSettings;
  const { ok } = validated;
  sensitivePaths.push(...sensitiveLeafPaths(schema, at));
  const rawHeaders = isPlainObject(item) ? item.headers : undefined;
  const headers = checkHeaders(rawHeaders, [...at, "headers"], problems);
  for (const name of Object.keys(headers)) {
    if (isCredentialHeader(name)) sensitivePaths.push(pathText([...at, "headers", name]));
  }
  const display = { ...displaySection(schema as Schema<unknown>, value), headers };
  if (at[0] === "endpoints") shown.endpoints[at[1] as number] = display;
  else shown.operatorEndpoints[at[2] as number] = display;
  const { policy } = value;
  if (policy.rateLimit.burst !== null && policy.rateLimit.perSecond === null) {
    problems.add([...at, "policy", "rateLimit", "perSecond"], "a rate when burst is set", "nothing");
  }
  if (!ok) return undefined;
  const tls = Object.fromEntries(Object.entries(value.tls).filter(([, pem]) => pem !== null)) as Endpoint["tls"];
  const proxy = value.proxy ?? settings.egress.proxy;
  const { perSecond, burst } = policy.rateLimit;
  return {
    id: value.id,
    url: value.url,
    owner: value.owner ?? value.id,
    secrets: value.secrets.map((secret) =>
      typeof secret === "string"
        ? { secret }
        : { secret: secret.secret, ...(secret.expiresAt === undefined ? {} : { expiresAt: secret.expiresAt }) },
    ),
    headers,
    enabled: value.enabled,
    payload: value.payload,
    policy: {
      concurrency: policy.concurrency,
      orderedByKey: policy.orderedByKey,
      timeoutMs: parseDuration(policy.timeout) ?? settings.egress.timeout,
      retry: {
        scheduleMs: policy.retry.schedule.map((delay) => parseDuration(delay) ?? 0),
        jitter: policy.retry.jitter,
        maxRetryAfterMs: policy.retry.maxRetryAfter,
        minThrottleDelayMs: policy.retry.minThrottleDelay,
        maxAgeMs: policy.retry.maxAge,
      },
      breaker: {
        windowMs: policy.breaker.window,
        minRequests: policy.breaker.minRequests,
        failureRate: policy.breaker.failureRate,
        cooldownMs: policy.breaker.cooldown,
        disableAfterMs: policy.breaker.disableAfter,
      },
      ...(perSecond === null ? {} : { rateLimit: { perSecond, burst: burst ?? perSecond } }),
    },
    ...(proxy === null ? {} : { proxy }),
    ...(tls !== undefined && Object.keys(tls).length > 0 ? { tls } : {}),
  };
}

function buildSubscription(
  item: unknown,
  index: number,
  problems: ProblemCollector,
  shown: ShownConfig,
): Subscription | undefined {
  const at: Segments = ["subscriptions", index];
  const { value, ok } = validateSection<SubscriptionSettings>(subscriptionSchema, item, at, problems, ["filter"]);
  let typesOk = true;
  for (const [position, type] of value.types.entries()) {
    if (
      !checkSpec(
        () => compileTypePattern(type, pathText([...at, "types", position])),
        [...at, "types", position],
        problems,
      )
    ) {
      typesOk = false;
    }
  }
  const filter = isPlainObject(item) ? item.filter : undefined;
  const filterOk =
    filter === undefined ||
    filter === null ||
    checkSpec(() => compileFilter(filter, pathText([...at, "filter"])), [...at, "filter"], problems);
  shown.subscriptions[index] = { ...value, ...(filter === undefined || filter === null ? {} : { filter }) };
  if (!ok || !typesOk || !filterOk) return undefined;
  return {
    id: value.id,
    endpoints: value.endpoints,
    types: value.types,
    enabled: value.enabled,
    ...(filter === undefined || filter === null ? {} : { filter: filter as FilterSpec }),
  };
}

/** Runs a spec compiler (filter, glob, mapping) and turns its error into a located problem. */
function checkSpec(compile: () => unknown, segments: Segments, problems: ProblemCollector): boolean {
  try {
    compile();
    return true;
  } catch (error) {
    if (!(error instanceof HookyardError) || error.code !== "CONFIG_INVALID") throw error;
    const { expected, found } = error.details as { expected?: string; found?: string };
    const separator = error.message.indexOf(": expected ");
    const path = separator === -1 ? pathText(segments) : error.message.slice(0, separator);
    problems.addWithPath(path, segments, expected ?? "a valid value", found ?? error.message);
    return false;
  }
}

/**
 * One catalogue entry. Its schema is compiled here (strictly) and the example checked against it, so a typo in
 * a schema fails `hookyard validate` with the key path inside the schema instead of accepting every payload.
 */
function buildEventType(
  item: unknown,
  index: number,
  compiler: SchemaCompiler,
  problems: ProblemCollector,
): EventType | undefined {
  const at: Segments = ["eventTypes", index];
  const { value, ok } = validateSection<EventTypeSettings>(eventTypeSchema, item, at, problems, ["schema", "example"]);
  const raw = isPlainObject(item) ? item : {};
  const schema = raw.schema ?? null;
  const example = raw.example ?? null;
  let schemaOk = true;
  if (schema !== null) {
    if (!isPlainObject(schema)) {
      problems.add([...at, "schema"], "a JSON Schema object", describeValue(schema));
      schemaOk = false;
    } else {
      const compiled = compiler.compile(schema);
      if ("problem" in compiled) {
        const inside = pointerSegments(compiled.problem.path);
        problems.add(
          [...at, "schema", ...inside],
          "a valid JSON Schema",
          foundAt(schema, inside, compiled.problem.message),
        );
        schemaOk = false;
      } else if (example !== null && !compiled.validate(example)) {
        const error = compiled.validate.errors?.[0];
        const inside = pointerSegments(error?.instancePath ?? "");
        problems.add(
          [...at, "example", ...inside],
          "an example that matches the schema",
          foundAt(example, inside, error?.message ?? "does not match"),
        );
        schemaOk = false;
      }
    }
  }
  if (!ok || !schemaOk) return undefined;
  return {
    name: value.name,
    description: value.description,
    ...(value.group === null ? {} : { group: value.group }),
    ...(schema === null ? {} : { schema: schema as Record<string, unknown> }),
    ...(example === null ? {} : { example }),
    deprecated: value.deprecated,
    validation: value.validation,
  };
}

function pointerSegments(pointer: string): string[] {
  return pointer
    .split("/")
    .slice(1)
    .map((part) => part.replaceAll("~1", "/").replaceAll("~0", "~"));
}

/** The value at the problem's place, then what is wrong with it: `"numbr", which must be equal to one of …`. */
function foundAt(root: unknown, segments: readonly string[], message: string): string {
  let value: unknown = root;
  for (const segment of segments) {
    value = value !== null && typeof value === "object" ? (value as Record<string, unknown>)[segment] : undefined;
  }
  // At the root (an unknown keyword, a whole-schema problem) the message alone says it; the value would be noise.
  return value === undefined || segments.length === 0 ? message : `${JSON.stringify(value)}, which ${message}`;
}

function checkUniqueNames(items: readonly unknown[], problems: ProblemCollector): void {
  const first = new Map<string, number>();
  for (const [index, item] of items.entries()) {
    const name = isPlainObject(item) && typeof item.name === "string" ? item.name : undefined;
    if (name === undefined) continue;
    const earlier = first.get(name);
    if (earlier === undefined) first.set(name, index);
    else
      problems.add(
        ["eventTypes", index, "name"],
        "a unique name",
        `${JSON.stringify(name)}, already used by eventTypes[${earlier}]`,
      );
  }
}

type ConnectorCache = (type: string) => Promise<ConnectorDefinition>;

function createConnectorCache(resolve: ResolveConnector): ConnectorCache {
  const cache = new Map<string, Promise<ConnectorDefinition>>();
  return (type) => {
    let found = cache.get(type);
    if (found === undefined) {
      found = Promise.resolve().then(() => resolve(type));
      cache.set(type, found);
    }
    return found;
  };
}

async function buildConnectorEntry(
  list: "sources" | "sinks",
  item: unknown,
  index: number,
  connectors: ConnectorCache,
  { problems, sensitivePaths, shown }: Collectors,
): Promise<SourceEntry | SinkEntry | undefined> {
  const at: Segments = [list, index];
  const isSource = list === "sources";
  const schema = (isSource ? sourceEntrySchema : sinkEntrySchema) as Schema<ConnectorEntrySettings>;
  const { value, ok } = validateSection<ConnectorEntrySettings>(schema, item, at, problems, ["mapping", "config"]);
  const mapping = isPlainObject(item) && isSource ? (item.mapping ?? {}) : {};
  const mappingOk =
    !isSource ||
    checkSpec(() => compileEnvelopeMapping(mapping, pathText([...at, "mapping"])), [...at, "mapping"], problems);
  if (typeof value.type !== "string") return undefined;

  let definition: ConnectorDefinition;
  try {
    definition = await connectors(value.type);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    problems.add(
      [...at, "type"],
      "a built-in connector or an installed package exporting one",
      `${JSON.stringify(value.type)} (${reason})`,
    );
    return undefined;
  }
  const side = isSource ? definition.source : definition.sink;
  if (side === undefined || side === null || typeof side.schema !== "object" || typeof side.create !== "function") {
    problems.add(
      [...at, "type"],
      `a connector with a ${isSource ? "source" : "sink"} side`,
      `${JSON.stringify(value.type)} without one`,
    );
    return undefined;
  }
  const rawConfig = isPlainObject(item) ? item.config : undefined;
  const config = validateSection(
    side.schema as Schema<Record<string, unknown>>,
    rawConfig,
    [...at, "config"],
    problems,
  );
  sensitivePaths.push(...sensitiveLeafPaths(side.schema as Schema<unknown>, [...at, "config"]));
  // The connector's own checks beyond its schema: the ones `start` would otherwise be first to refuse.
  const connectorProblems = config.ok && side.validate ? side.validate(config.value as never) : [];
  for (const problem of connectorProblems) {
    problems.add([...at, "config", ...problem.key.split(".")], problem.expected, problem.found);
  }
  (isSource ? shown.sources : shown.sinks)[index] = {
    ...value,
    ...(isSource ? { mapping } : {}),
    config: displaySection(side.schema as Schema<unknown>, config.value),
  };
  if (!ok || !mappingOk || !config.ok || connectorProblems.length > 0) return undefined;
  const entry: SinkEntry = { id: value.id, type: value.type, enabled: value.enabled, config: config.value };
  return isSource ? { ...entry, mapping: mapping as EnvelopeMappingSpec } : entry;
}

/** Checked on the raw items, so a duplicate is reported even when the item has other problems. */
function checkUniqueIds(list: string, items: readonly unknown[], problems: ProblemCollector): void {
  const first = new Map<string, number>();
  const at: Segments = list.split(".");
  for (const [index, item] of items.entries()) {
    const id = idOf(item);
    if (id === undefined) continue;
    const earlier = first.get(id);
    if (earlier === undefined) {
      first.set(id, index);
    } else {
      problems.add([...at, index, "id"], "a unique id", `${JSON.stringify(id)}, already used by ${list}[${earlier}]`);
    }
  }
}

function idOf(item: unknown): string | undefined {
  return isPlainObject(item) && typeof item.id === "string" ? item.id : undefined;
}

function checkSubscriptionTargets(
  subscriptions: readonly unknown[],
  endpoints: readonly unknown[],
  problems: ProblemCollector,
): void {
  const known = endpoints.flatMap((endpoint) => idOf(endpoint) ?? []);
  const ids = new Set(known);
  for (const [index, subscription] of subscriptions.entries()) {
    const targets = isPlainObject(subscription) ? subscription.endpoints : undefined;
    if (!Array.isArray(targets)) continue;
    for (const [position, id] of targets.entries()) {
      if (typeof id !== "string" || ids.has(id)) continue;
      const hint = suggest(id, known);
      problems.add(
        ["subscriptions", index, "endpoints", position],
        "the id of an endpoint defined in endpoints",
        `${JSON.stringify(id)}, which is not defined${hint === undefined ? "" : ` (did you mean ${JSON.stringify(hint)}?)`}`,
      );
    }
  }
}

/**
 * Ingress routes are validated and compiled by the ingress package with this loader's convict validation, so
 * their problems read like every other key's; rule targets must name a sink or an endpoint.
 */
function compileIngressRoutes(
  input: readonly unknown[],
  lists: Record<(typeof LIST_KEYS)[number], readonly unknown[]>,
  problems: ProblemCollector,
  sensitivePaths: string[],
): readonly IngressRoute[] {
  if (input.length === 0) return [];
  const targets = [...lists.sinks, ...lists.endpoints].flatMap((item) => {
    const id = isPlainObject(item) ? item.id : undefined;
    return typeof id === "string" ? [id] : [];
  });
  const validation: RouteValidation = {
    section: (schema, value, at, freeForm) => {
      const result = validateSection(schema, value, at, problems, freeForm);
      return { value: result.value, ok: result.ok };
    },
    problem: ({ at, expected, found, path }) =>
      path === undefined ? problems.add(at, expected, found) : problems.addWithPath(path, at, expected, found),
  };
  const compiled = compileRoutes(input, validation, { targets });
  sensitivePaths.push(...compiled.sensitivePaths.map((segments) => pathText(segments)));
  return compiled.routes;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** Freezes plain data (objects, arrays); compiled things (verifiers, regexes, key objects) are left as they are. */
function deepFreeze<T>(value: T): T {
  if (isPlainData(value) && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const member of Object.values(value)) deepFreeze(member);
  }
  return value;
}

function isPlainData(value: unknown): value is object {
  if (value === null || typeof value !== "object") return false;
  const prototype = Object.getPrototypeOf(value);
  return Array.isArray(value) || prototype === Object.prototype || prototype === null;
}

/** A lease shorter than a send could let a second process deliver the same event while the first still sends it. */
function checkLeaseCoversTimeouts(leaseMs: number, endpoints: readonly Endpoint[], problems: ProblemCollector): void {
  const longest = endpoints.reduce((max, endpoint) => Math.max(max, endpoint?.policy?.timeoutMs ?? 0), 0);
  if (longest > 0 && leaseMs <= longest) {
    problems.add(
      ["delivery", "lease"],
      `a lease longer than the longest endpoint timeout (${formatDuration(longest)})`,
      formatDuration(leaseMs),
    );
  }
}

/** Ingress rules name sinks and endpoints by id, so the two must not share ids; `sink:` is reserved internally. */
function checkTargetNamespaces(
  sinks: readonly unknown[],
  endpoints: readonly unknown[],
  problems: ProblemCollector,
): void {
  const idOfItem = (item: unknown) => (isPlainObject(item) && typeof item.id === "string" ? item.id : undefined);
  const endpointIds = new Map<string, number>();
  for (const [index, endpoint] of endpoints.entries()) {
    const id = idOfItem(endpoint);
    if (id === undefined) continue;
    endpointIds.set(id, index);
    for (const reserved of ["sink:", OPERATOR_ENDPOINT_PREFIX]) {
      if (!id.startsWith(reserved)) continue;
      problems.add(
        ["endpoints", index, "id"],
        `an id that does not start with "${reserved}" (reserved)`,
        JSON.stringify(id),
      );
    }
  }
  for (const [index, sink] of sinks.entries()) {
    const id = idOfItem(sink);
    const clash = id === undefined ? undefined : endpointIds.get(id);
    if (clash !== undefined) {
      problems.add(
        ["sinks", index, "id"],
        "an id no endpoint uses (ingress rules name both)",
        `${JSON.stringify(id)}, the id of endpoints[${clash}]`,
      );
    }
  }
}
