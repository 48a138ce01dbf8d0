/**
 * The fields of one event in a structured ingest request (`POST /v1/events`, each item of `/v1/events/batch`): the
 * parser accepts exactly these, and docs/ingest.md lists them from here (`npm run docs`).
 */
export const INGEST_EVENT_FIELDS = [
  {
    name: "type",
    accepts: "a non-empty string, no control characters",
    required: true,
    meaning: 'The event type subscriptions match on, e.g. "invoice.paid".',
  },
  {
    name: "id",
    accepts: "a non-empty string of at most 256 characters, no control characters",
    required: false,
    meaning:
      "The event id; sent as `webhook-id`. Repeating an id is safe: the first call's result is returned and nothing is delivered twice. Without one, a random `evt_…` id is given and a retried request is a new event.",
  },
  {
    name: "data",
    accepts: "any JSON value",
    required: false,
    meaning: "The payload, delivered as its compact JSON with content type application/json (default `null`).",
  },
  {
    name: "dataBase64",
    accepts: "base64",
    required: false,
    meaning:
      "The payload as exact bytes (instead of `data`), delivered byte for byte; content type application/octet-stream unless `contentType` says otherwise.",
  },
  {
    name: "contentType",
    accepts: "a media type, no control characters",
    required: false,
    meaning: "The payload's content type on the webhook request.",
  },
  {
    name: "key",
    accepts: "a non-empty string",
    required: false,
    meaning:
      "Ordering key: endpoints with `policy.orderedByKey` receive events with the same key one at a time, in order.",
  },
  { name: "subject", accepts: "a non-empty string", required: false, meaning: "CloudEvents `subject`, for filters." },
  {
    name: "time",
    accepts: "an RFC 3339 timestamp",
    required: false,
    meaning: "When the event happened (default: when it was accepted).",
  },
  {
    name: "headers",
    accepts: "an object of strings",
    required: false,
    meaning: "Attributes kept with the event, for filters (`headers.<name>`).",
  },
] as const;

export const INGEST_EVENT_FIELD_NAMES: ReadonlySet<string> = new Set(INGEST_EVENT_FIELDS.map((field) => field.name));
