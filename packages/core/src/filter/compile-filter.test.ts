import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { HookyardError } from "../errors.js";
import { compileFilter } from "./compile-filter.js";

const doc = {
  id: "evt_1",
  type: "invoice.paid",
  source: "kafka:billing",
  headers: { "x-tenant": "acme", "x-count": "3" },
  data: {
    status: "paid",
    amount: 150,
    currency: "EUR",
    paidAt: "2024-05-01T10:00:00Z",
    flags: { test: false, vip: true },
    note: null,
    empty: [],
    tags: ["priority", "eu"],
    matrix: [
      [1, 2],
      [3, 4],
    ],
    items: [
      { sku: "A-1", qty: 2, price: 10 },
      { sku: "B-2", qty: 1, price: 130 },
    ],
    customer: { id: "cus_9", address: { country: "DE" } },
  },
};

// [description, filter spec, expected match]
const cases: [string, unknown, boolean][] = [
  ["empty filter matches everything", {}, true],
  // implicit equality and implicit $and
  ["implicit equality on a dotted path", { "data.status": "paid" }, true],
  ["implicit equality mismatch", { "data.status": "open" }, false],
  ["implicit $and across keys, all true", { "data.status": "paid", type: "invoice.paid" }, true],
  ["implicit $and across keys, one false", { "data.status": "paid", type: "invoice.created" }, false],
  ["header by name", { "headers.x-tenant": "acme" }, true],
  ["deep nested path", { "data.customer.address.country": "DE" }, true],
  ["boolean equality", { "data.flags.vip": true }, true],
  ["equality is type-strict", { "headers.x-count": 3 }, false],
  ["null equals null", { "data.note": null }, true],
  ["null does not match a missing path", { "data.nothing": null }, false],
  // $eq / $neq
  ["$eq", { "data.amount": { $eq: 150 } }, true],
  ["$eq whole object", { "data.customer.address": { $eq: { country: "DE" } } }, true],
  ["$eq whole array", { "data.tags": ["priority", "eu"] }, true],
  ["$eq array order matters", { "data.tags": ["eu", "priority"] }, false],
  ["$neq true", { "data.status": { $neq: "open" } }, true],
  ["$neq false", { "data.status": { $neq: "paid" } }, false],
  ["$neq matches a missing path", { "data.nothing": { $neq: "x" } }, true],
  // comparisons
  ["$gt number", { "data.amount": { $gt: 100 } }, true],
  ["$gt number at bound", { "data.amount": { $gt: 150 } }, false],
  ["$gte number at bound", { "data.amount": { $gte: 150 } }, true],
  ["$lt number", { "data.amount": { $lt: 150 } }, false],
  ["$lte number at bound", { "data.amount": { $lte: 150 } }, true],
  ["range as implicit $and of operators", { "data.amount": { $gt: 100, $lt: 200 } }, true],
  ["range excluded", { "data.amount": { $gt: 100, $lt: 120 } }, false],
  ["$gt string lexicographic", { "data.currency": { $gt: "ABC" } }, true],
  ["$lt string lexicographic", { "data.currency": { $lt: "ABC" } }, false],
  ["ISO dates compare as strings", { "data.paidAt": { $gte: "2024-01-01T00:00:00Z" } }, true],
  ["ISO dates compare as strings (before)", { "data.paidAt": { $lt: "2024-05-01T09:59:59Z" } }, false],
  // type mismatches never throw and never match
  ["$gt string operand against a number", { "data.amount": { $gt: "100" } }, false],
  ["$lt number operand against a string", { "headers.x-count": { $lt: 10 } }, false],
  ["$gt against an object", { "data.customer": { $gt: 1 } }, false],
  ["$gt against null", { "data.note": { $gt: 0 } }, false],
  ["$regex against a number", { "data.amount": { $regex: "1" } }, false],
  ["path through a string", { "data.status.length": 4 }, false],
  // $in / $nin
  ["$in hit", { "data.currency": { $in: ["USD", "EUR"] } }, true],
  ["$in miss", { "data.currency": { $in: ["USD", "GBP"] } }, false],
  ["$in is type-strict", { "data.amount": { $in: ["150"] } }, false],
  ["$in with an object member", { "data.customer.address": { $in: [{ country: "DE" }] } }, true],
  ["$in on a missing path", { "data.nothing": { $in: [null] } }, false],
  ["$nin hit", { "data.currency": { $nin: ["USD", "GBP"] } }, true],
  ["$nin miss", { "data.currency": { $nin: ["EUR"] } }, false],
  ["$nin matches a missing path", { "data.nothing": { $nin: ["x"] } }, true],
  // $exists
  ["$exists true", { "data.amount": { $exists: true } }, true],
  ["$exists true on null value", { "data.note": { $exists: true } }, true],
  ["$exists false on present", { "data.amount": { $exists: false } }, false],
  ["$exists false on missing", { "data.nothing": { $exists: false } }, true],
  ["$exists true on missing", { "data.nothing.deeper": { $exists: true } }, false],
  ["$exists true on an empty array", { "data.empty": { $exists: true } }, true],
  // $regex
  ["$regex string", { type: { $regex: "^invoice\\." } }, true],
  ["$regex miss", { type: { $regex: "^order\\." } }, false],
  ["$regex with flags", { "data.status": { $regex: { pattern: "^PAID$", flags: "i" } } }, true],
  ["$regex without flags is case-sensitive", { "data.status": { $regex: "^PAID$" } }, false],
  // $and / $or / $not
  ["$and", { $and: [{ "data.status": "paid" }, { "data.amount": { $gt: 100 } }] }, true],
  ["$and one false", { $and: [{ "data.status": "paid" }, { "data.amount": { $gt: 1000 } }] }, false],
  ["$or", { $or: [{ "data.status": "open" }, { "data.amount": { $gt: 100 } }] }, true],
  ["$or none", { $or: [{ "data.status": "open" }, { "data.amount": { $gt: 1000 } }] }, false],
  ["$not top-level", { $not: { "data.status": "open" } }, true],
  ["$not top-level false", { $not: { "data.status": "paid" } }, false],
  ["$not field-level", { "data.amount": { $not: { $gt: 1000 } } }, true],
  ["$not field-level false", { "data.amount": { $not: { $gt: 100 } } }, false],
  ["$not field-level literal", { "data.status": { $not: "open" } }, true],
  ["$not matches a missing path", { "data.nothing": { $not: { $gt: 1 } } }, true],
  [
    "nested $or inside $and",
    { $and: [{ $or: [{ type: "x" }, { "data.currency": "EUR" }] }, { source: "kafka:billing" }] },
    true,
  ],
  // arrays: any element matches
  ["array contains value", { "data.tags": "eu" }, true],
  ["array does not contain value", { "data.tags": "us" }, false],
  ["array element comparison", { "data.items.price": { $gt: 100 } }, true],
  ["array element comparison none", { "data.items.price": { $gt: 500 } }, false],
  ["path through array of objects", { "data.items.sku": "B-2" }, true],
  ["numeric segment indexes the array", { "data.items.0.sku": "A-1" }, true],
  ["numeric segment, other element", { "data.items.0.sku": "B-2" }, false],
  ["numeric segment out of range", { "data.items.5.sku": { $exists: true } }, false],
  ["array element index on tags", { "data.tags.1": "eu" }, true],
  ["$in over an array field", { "data.tags": { $in: ["x", "eu"] } }, true],
  ["$nin over an array field (one element listed)", { "data.tags": { $nin: ["eu"] } }, false],
  ["$neq over an array field (one element equal)", { "data.tags": { $neq: "eu" } }, false],
  ["$regex over an array field", { "data.tags": { $regex: "^pri" } }, true],
  ["nested arrays: inner array is an element", { "data.matrix": [3, 4] }, true],
  ["nested arrays are not flattened twice", { "data.matrix": 3 }, false],
  ["array comparison: operators may match different elements", { "data.items.qty": { $gt: 1, $lt: 2 } }, true],
];

describe("compileFilter", () => {
  for (const [name, spec, expected] of cases) {
    it(name, () => {
      assert.equal(compileFilter(spec, "test.filter").matches(doc), expected);
    });
  }

  it("never throws on odd documents", () => {
    const filter = compileFilter({ "data.amount": { $gt: 1 }, "data.x.y": { $exists: false } }, "f");
    for (const odd of [null, undefined, 42, "text", [], [1, 2], { data: "string" }, { data: [null, 1] }]) {
      assert.doesNotThrow(() => filter.matches(odd));
    }
    assert.equal(filter.matches({ data: [{ amount: 2 }] }), true);
  });

  it("does not read inherited properties", () => {
    assert.equal(compileFilter({ "data.constructor": { $exists: true } }, "f").matches(doc), false);
    assert.equal(compileFilter({ "data.__proto__": { $exists: true } }, "f").matches(doc), false);
    assert.equal(compileFilter({ "data.toString": { $exists: false } }, "f").matches(doc), true);
  });

  it("is reusable and stateless across matches ($regex has no g flag)", () => {
    const filter = compileFilter({ type: { $regex: "paid" } }, "f");
    for (let i = 0; i < 3; i++) assert.equal(filter.matches(doc), true);
  });

  // [description, spec, text the message must contain]
  const invalid: [string, unknown, string][] = [
    ["not an object", "data.x = 1", 'subscriptions[0].filter: expected a filter object, found "data.x = 1"'],
    ["array instead of object", [{ a: 1 }], "expected a filter object, found a list of 1"],
    [
      "unknown field operator",
      { "data.amount": { $gtx: 1 } },
      'subscriptions[0].filter["data.amount"].$gtx: expected one of $eq',
    ],
    [
      "unknown top operator",
      { $nor: [{ a: 1 }] },
      'subscriptions[0].filter.$nor: expected a path or one of $and, $or, $not, found "$nor"',
    ],
    ["nested object instead of dotted path", { data: { status: "paid" } }, "filter.data: expected operators"],
    ["mixed operators and fields", { "data.a": { $gt: 1, b: 2 } }, 'found the key "b"'],
    ["empty operator object", { "data.a": {} }, "found an empty object"],
    [
      "empty path segment",
      { "data..a": 1 },
      'filter["data..a"]: expected a dotted path such as data.status, found a path with an empty segment',
    ],
    [
      "$gt with an object",
      { "data.a": { $gt: { x: 1 } } },
      '["data.a"].$gt: expected a number or a string, found an object',
    ],
    ["$gt with a boolean", { "data.a": { $gt: true } }, "expected a number or a string, found true"],
    ["$gt with NaN", { "data.a": { $gt: Number.NaN } }, "expected a number or a string"],
    ["$in with a string", { "data.a": { $in: "x" } }, '$in: expected a list of at most 1000 values, found "x"'],
    ["$nin with a number", { "data.a": { $nin: 1 } }, "$nin: expected a list"],
    ["$exists with a string", { "data.a": { $exists: "yes" } }, '$exists: expected true or false, found "yes"'],
    ["$and not a list", { $and: { a: 1 } }, "$and: expected a list of 1 to 1000 filters, found an object"],
    ["$or empty", { $or: [] }, "$or: expected a list of 1 to 1000 filters, found an empty list"],
    ["$or with a bad member", { $or: [{ a: 1 }, { b: { $bad: 1 } }] }, "filter.$or[1].b.$bad: expected one of"],
    ["$not with a string", { $not: "x" }, 'filter.$not: expected a filter object, found "x"'],
    ["$regex invalid", { a: { $regex: "(" } }, "a.$regex: expected a valid regex"],
    ["$regex catastrophic", { a: { $regex: "(a+)+$" } }, "expected a regex without nested quantifiers"],
    [
      "$regex too long",
      { a: { $regex: "a".repeat(300) } },
      "expected a regex of at most 256 characters, found 300 characters",
    ],
    [
      "$regex stateful flag",
      { a: { $regex: { pattern: "a", flags: "g" } } },
      'expected regex flags among i, m, s, u, found "g"',
    ],
    ["$regex unknown key", { a: { $regex: { pattern: "a", flag: "i" } } }, 'found the key "flag"'],
    ["$eq with a function", { a: { $eq: () => 1 } }, "a.$eq: expected a JSON value, found a function"],
  ];
  for (const [name, spec, expected] of invalid) {
    it(`rejects ${name}`, () => {
      assert.throws(
        () => compileFilter(spec, "subscriptions[0].filter"),
        (error: unknown) => {
          assert.ok(error instanceof HookyardError);
          assert.equal(error.code, "CONFIG_INVALID");
          assert.ok(error.message.includes(expected), `${error.message}\n  should contain\n${expected}`);
          return true;
        },
      );
    });
  }
});
