import type { Schema } from "convict";
import {
  cidrListFormat,
  format,
  headerNameListFormat,
  idFormat,
  optionalHeaderNameFormat,
  optionalPositiveIntegerFormat,
  optionalPositiveNumberFormat,
  optionalPublicUrlFormat,
  optionalStringFormat,
  pathFormat,
  targetListFormat,
} from "./formats.js";

/**
 * The convict schema of one `ingress.routes[]` item, documented key by key like the runtime's endpoint schema
 * (docs/config.md is generated from the `doc`s). `verifier` and `rules` are free-form here: the verifier is
 * validated with its type's own schema (see VERIFIERS) and each rule with `ruleSchema`, by `compileRoutes`.
 */
export interface RouteSettings {
  id: string;
  path: string;
  enabled: boolean;
  publicUrl: string | null;
  verifier: unknown;
  limits: {
    maxBodyBytes: number;
    ratePerSecond: number | null;
    burst: number | null;
    concurrency: number | null;
    allowCidrs: string[];
    denyCidrs: string[];
  };
  dedup: { enabled: boolean; ttl: number };
  rules: unknown;
  defaultTargets: string[];
  eventType: ValueSourceSettings;
  eventId: ValueSourceSettings;
  forwardHeaders: string[];
}

export interface ValueSourceSettings {
  header: string | null;
  jsonPath: string | null;
  value: string | null;
}

export interface RuleSettings {
  match: unknown;
  types: string[];
  targets: string[];
}

/** Keys of a route that `compileRoutes` validates itself (a config loader leaves them out of convict). */
export const ROUTE_FREE_FORM_KEYS = ["verifier", "rules"] as const;
/** Keys of a rule that `compileRoutes` validates itself. */
export const RULE_FREE_FORM_KEYS = ["match"] as const;

export const DEFAULT_MAX_BODY_BYTES = 1_048_576;
export const DEFAULT_DEDUP_TTL_MS = 24 * 60 * 60 * 1000;
export const DEFAULT_CONCURRENCY = 100;

function valueSourceSchema(what: string, example: string): Schema<ValueSourceSettings> {
  return {
    header: {
      doc: `Take the event ${what} from this request header (overrides the verifier's).`,
      format: optionalHeaderNameFormat,
      default: null,
      nullable: true,
    },
    jsonPath: {
      doc: `Take the event ${what} from this dotted path into the JSON or form body, e.g. ${example}.`,
      format: optionalStringFormat,
      default: null,
      nullable: true,
    },
    value: {
      doc: `A fixed event ${what}.`,
      format: optionalStringFormat,
      default: null,
      nullable: true,
    },
  };
}

export const routeSchema: Schema<RouteSettings> = {
  id: { doc: "Unique route id; events get source ingress:<id>.", format: idFormat, default: null },
  path: {
    doc: "URL path the provider POSTs to, e.g. /ingress/stripe/acme. One route per provider account.",
    format: pathFormat,
    default: null,
  },
  enabled: { doc: "A disabled route answers 404.", format: Boolean, default: true },
  publicUrl: {
    doc: 'The origin the provider calls, e.g. "https://hooks.example.com", for verifiers that sign the URL (Twilio, hmac with {url}) when Hookyard runs behind a proxy or on another port. Unset: the URL is rebuilt from the request (X-Forwarded-Proto/-Host or Forwarded only from proxies listed in server.trustProxy).',
    format: optionalPublicUrlFormat,
    default: null,
    nullable: true,
  },
  verifier: {
    doc: "How requests are verified: { type, secrets, … } with type one of standard-webhooks, stripe, github, shopify, slack, twilio, hmac, basic-auth, api-key. See the verifier sections and docs/ingress/.",
    format: Object,
    default: {},
  },
  limits: {
    maxBodyBytes: {
      doc: "Largest body accepted (413 above, also for chunked bodies without Content-Length). An event larger than every one of its targets' sinks can publish (their maxMessageBytes) is answered 413 too, before any 2xx.",
      format: "size",
      default: DEFAULT_MAX_BODY_BYTES,
    },
    ratePerSecond: {
      doc: "Requests per second on this route, shared by all instances (429 with Retry-After above); unset = unlimited.",
      format: optionalPositiveNumberFormat,
      default: null,
      nullable: true,
    },
    burst: {
      doc: "Requests allowed at once above the rate (defaults to ratePerSecond).",
      format: optionalPositiveNumberFormat,
      default: null,
      nullable: true,
    },
    concurrency: {
      doc: "Requests in progress at once on this route in this instance; above it 503 OVER_CAPACITY with Retry-After: 1 (providers retry). Each request in progress holds up to maxBodyBytes in memory, so the default 100 bounds a route at 100 × maxBodyBytes and sheds a flood early instead of slowing every request; null = unlimited (not recommended).",
      format: optionalPositiveIntegerFormat,
      default: DEFAULT_CONCURRENCY,
      nullable: true,
    },
    allowCidrs: {
      doc: "If set, only clients in these ranges are served (403 otherwise), e.g. the provider's published webhook IPs.",
      format: cidrListFormat,
      default: [],
    },
    denyCidrs: {
      doc: "Clients in these ranges get 403 (checked before allowCidrs).",
      format: cidrListFormat,
      default: [],
    },
  },
  dedup: {
    enabled: {
      doc: "Remember each event id so a repeat (a provider retry or a replay) is answered 200 and published nothing.",
      format: Boolean,
      default: true,
    },
    ttl: {
      doc: "How long an event id is remembered. Longer than the provider's retry window (Stripe retries for 3 days).",
      format: "duration",
      default: DEFAULT_DEDUP_TTL_MS,
    },
  },
  rules: {
    doc: 'Routing rules, in order; every matching rule adds its targets: [{ match: <filter over { id, type, headers, query, body }>, types: ["invoice.*"], targets: [sink or endpoint ids] }]. See docs/ingress.md.',
    format: Array,
    default: [],
  },
  defaultTargets: {
    doc: "Targets of events no rule matches. Unset: such events are answered 200, counted as unroutable and published nowhere.",
    format: targetListFormat,
    default: [],
  },
  eventType: valueSourceSchema("type", "data.kind"),
  eventId: valueSourceSchema("id", "data.event.id"),
  forwardHeaders: {
    doc: "Extra request headers kept on the event (the verifier's event and delivery headers always are). Signature and credential headers never are.",
    format: headerNameListFormat,
    default: [],
  },
};

export const ruleSchema: Schema<RuleSettings> = {
  match: {
    doc: 'Filter over { id, type, headers, query, body } (body: the JSON or form-decoded body), e.g. { "body.data.object.amount": { "$gte": 100 } }; unset matches every event.',
    format: Object,
    default: null,
    nullable: true,
  },
  types: {
    doc: 'Event types this rule applies to: exact names or globs ("invoice.*", "**"); empty = all.',
    format: format("a list of event types or globs", (value) =>
      Array.isArray(value) ? value.every((item) => typeof item === "string" && item.length > 0) : false,
    ),
    default: [],
  },
  targets: {
    doc: "Sink ids (publish onto a broker) or endpoint ids (forward to an internal HTTP service) that receive the matching events.",
    format: targetListFormat,
    default: [],
  },
};
