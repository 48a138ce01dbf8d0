import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Envelope } from "../envelope.js";
import { HookyardError } from "../errors.js";
import { compileEnvelopeMapping } from "./compile-envelope-mapping.js";
import type { SourceMessage } from "./value-source.js";

const encoder = new TextEncoder();

function message(overrides: Partial<SourceMessage> & { body?: string } = {}): SourceMessage {
  const { body, ...rest } = overrides;
  return {
    data: encoder.encode(body ?? JSON.stringify({ type: "order.created", order: { id: 42, ref: "o-42" } })),
    headers: {},
    source: "kafka:orders",
    ...rest,
  };
}

// [description, mapping spec, message, expected envelope fields]
const cases: [string, unknown, SourceMessage, Partial<Record<keyof Envelope, unknown>>][] = [
  [
    "CloudEvents binary-mode headers by default",
    undefined,
    message({
      headers: {
        "ce-id": "evt-1",
        "ce-type": "order.created",
        "ce-time": "2024-05-01T10:00:00Z",
        "ce-subject": "o-42",
      },
    }),
    { id: "evt-1", type: "order.created", time: "2024-05-01T10:00:00Z", subject: "o-42", source: "kafka:orders" },
  ],
  [
    "header names are case-insensitive",
    undefined,
    message({ headers: { "CE-ID": "evt-2", "Ce-Type": "order.paid" } }),
    { id: "evt-2", type: "order.paid" },
  ],
  [
    "broker id, key and time when no ce-* headers",
    { type: { value: "order.created" } },
    message({ defaults: { id: "orders/0/17", key: "customer-7", time: new Date("2024-01-02T03:04:05.000Z") } }),
    { id: "orders/0/17", key: "customer-7", time: "2024-01-02T03:04:05.000Z", type: "order.created" },
  ],
  [
    "jsonPath, with a number converted to text",
    { type: { jsonPath: "type" }, id: { jsonPath: "order.id" }, key: { jsonPath: "order.ref" } },
    message(),
    { type: "order.created", id: "42", key: "o-42" },
  ],
  [
    "attribute is the same map as header",
    { type: { attribute: "eventType" }, id: { attribute: "messageId" } },
    message({ headers: { eventtype: "invoice.paid", messageId: "m-1" } }),
    { type: "invoice.paid", id: "m-1" },
  ],
  [
    "a list takes the first value found",
    { type: [{ header: "x-type" }, { jsonPath: "type" }, { value: "fallback" }], id: { value: "fixed" } },
    message(),
    { type: "order.created", id: "fixed" },
  ],
  [
    "constant value",
    { type: { value: "audit.entry" }, id: { broker: "id" } },
    message({ defaults: { id: "b-1" } }),
    { type: "audit.entry", id: "b-1" },
  ],
  [
    "numeric time in seconds",
    { type: { value: "t" }, id: { value: "i" }, time: { jsonPath: "created" } },
    message({ body: JSON.stringify({ created: 1714557600 }) }),
    { time: "2024-05-01T10:00:00.000Z" },
  ],
  [
    "numeric time in milliseconds",
    { type: { value: "t" }, id: { value: "i" }, time: { jsonPath: "created" } },
    message({ body: JSON.stringify({ created: 1714557600000 }) }),
    { time: "2024-05-01T10:00:00.000Z" },
  ],
  [
    "content type from the message, then the header, then application/json",
    { type: { value: "t" }, id: { value: "i" } },
    message({ headers: { "content-type": "text/plain" }, body: "hello" }),
    { contentType: "text/plain" },
  ],
  [
    "structured-mode CloudEvents: attributes from the body, body kept whole",
    undefined,
    message({
      contentType: "application/cloudevents+json; charset=utf-8",
      body: JSON.stringify({
        specversion: "1.0",
        id: "ce-9",
        type: "user.signed_up",
        source: "/app",
        time: "2024-05-01T10:00:00Z",
        subject: "u-1",
        data: { a: 1 },
      }),
    }),
    {
      id: "ce-9",
      type: "user.signed_up",
      subject: "u-1",
      time: "2024-05-01T10:00:00Z",
      contentType: "application/cloudevents+json; charset=utf-8",
    },
  ],
  [
    "idempotency key passes through from the broker",
    { type: { value: "t" } },
    message({ defaults: { id: "b-2", idempotencyKey: "kafka:g/t/0/17" } }),
    { idempotencyKey: "kafka:g/t/0/17" },
  ],
  [
    "optional fields left out when not found",
    { type: { value: "t" }, id: { value: "i" }, key: { header: "x-key" }, subject: { jsonPath: "nope" } },
    message(),
    { key: undefined, subject: undefined },
  ],
];

describe("compileEnvelopeMapping", () => {
  for (const [name, spec, input, expected] of cases) {
    it(name, () => {
      const envelope = compileEnvelopeMapping(spec, "sources[0].mapping").map(input);
      for (const [field, value] of Object.entries(expected)) {
        assert.deepEqual(envelope[field as keyof Envelope], value, field);
      }
      assert.deepEqual(envelope.data, input.data, "payload bytes unchanged");
    });
  }

  it("keeps headers on the envelope (lower-cased)", () => {
    const envelope = compileEnvelopeMapping({}, "m").map(
      message({ headers: { "CE-ID": "1", "ce-type": "t", "X-Trace": "abc" } }),
    );
    assert.equal(envelope.headers["x-trace"], "abc");
  });

  it("parses the JSON body at most once, and not at all without a JSON path", () => {
    const body = JSON.stringify({ type: "a", id: "b", key: "c", time: "2024-05-01T10:00:00Z" });
    const json = compileEnvelopeMapping(
      { type: { jsonPath: "type" }, id: { jsonPath: "id" }, key: { jsonPath: "key" }, time: { jsonPath: "time" } },
      "m",
    );
    const headersOnly = compileEnvelopeMapping({}, "m");
    assert.equal(json.usesJson, true);
    assert.equal(headersOnly.usesJson, false);
    const originalParse = JSON.parse;
    let parses = 0;
    JSON.parse = ((text: string) => {
      parses++;
      return originalParse(text);
    }) as typeof JSON.parse;
    try {
      json.map(message({ body }));
      assert.equal(parses, 1);
      headersOnly.map(message({ body, headers: { "ce-id": "1", "ce-type": "t" } }));
      assert.equal(parses, 1);
    } finally {
      JSON.parse = originalParse;
    }
  });

  // [description, spec, message, text the rejection must contain]
  const rejected: [string, unknown, SourceMessage, string][] = [
    [
      "no type anywhere",
      undefined,
      message({ headers: { "ce-id": "1" } }),
      "sources[0].mapping.type: no event type found (tried header ce-type)",
    ],
    [
      "no id anywhere",
      { type: { value: "t" } },
      message(),
      "sources[0].mapping.id: no event id found (tried header ce-id, broker id)",
    ],
    [
      "JSON path on a non-JSON body",
      { type: { jsonPath: "type" }, id: { value: "i" } },
      message({ body: "<xml/>" }),
      "the body is not valid JSON, so jsonPath type cannot be read",
    ],
    [
      "JSON path finds an object",
      { type: { jsonPath: "order" }, id: { value: "i" } },
      message(),
      "no event type found (tried jsonPath order)",
    ],
    [
      "time that is not a timestamp",
      { type: { value: "t" }, id: { value: "i" }, time: { header: "x-time" } },
      message({ headers: { "x-time": "yesterday" } }),
      'header x-time is not a timestamp: "yesterday"',
    ],
    [
      "an id too long for an envelope",
      { type: { value: "t" }, id: { value: "x".repeat(300) } },
      message(),
      "envelope id is longer than 256",
    ],
  ];
  for (const [name, spec, input, expected] of rejected) {
    it(`rejects a message: ${name}`, () => {
      assert.throws(
        () => compileEnvelopeMapping(spec, "sources[0].mapping").map(input),
        (error: unknown) => {
          assert.ok(error instanceof HookyardError);
          assert.equal(error.code, "MESSAGE_REJECTED");
          assert.equal(error.retryable, false);
          assert.ok(error.message.includes(expected), error.message);
          return true;
        },
      );
    });
  }

  const invalid: [string, unknown, string][] = [
    [
      "not an object",
      "ce-type",
      'sources[0].mapping: expected an object with some of id, type, key, time, subject, contentType, found "ce-type"',
    ],
    ["unknown field", { kind: { header: "x" } }, "sources[0].mapping.kind: expected one of id, type"],
    ["unknown source kind", { type: { headers: "x" } }, "sources[0].mapping.type: expected one of { header: … }"],
    ["two kinds at once", { type: { header: "x", value: "y" } }, "sources[0].mapping.type: expected one of"],
    [
      "empty header name",
      { type: { header: "" } },
      'sources[0].mapping.type.header: expected a non-empty string, found ""',
    ],
    ["JSONPath syntax", { type: { jsonPath: "$.type" } }, 'no "$." prefix'],
    [
      "bad broker value",
      { id: { broker: "offset" } },
      'sources[0].mapping.id.broker: expected one of id, key, time, found "offset"',
    ],
    ["empty list", { type: [] }, "sources[0].mapping.type: expected a value source or a list of 1 to 8"],
    ["bad list item", { type: [{ header: "a" }, { nope: 1 }] }, "sources[0].mapping.type[1]: expected one of"],
  ];
  for (const [name, spec, expected] of invalid) {
    it(`rejects a spec: ${name}`, () => {
      assert.throws(
        () => compileEnvelopeMapping(spec, "sources[0].mapping"),
        (error: unknown) => {
          assert.ok(error instanceof HookyardError);
          assert.equal(error.code, "CONFIG_INVALID");
          assert.ok(error.message.includes(expected), error.message);
          return true;
        },
      );
    });
  }
});
