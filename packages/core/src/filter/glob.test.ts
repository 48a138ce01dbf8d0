import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { HookyardError } from "../errors.js";
import { compileTypePattern } from "./glob.js";

// [pattern, type, expected]
const cases: [string, string, boolean][] = [
  ["invoice.paid", "invoice.paid", true],
  ["invoice.paid", "invoice.paid.late", false],
  ["invoice.paid", "invoice", false],
  ["invoice.*", "invoice.paid", true],
  ["invoice.*", "invoice.payment.failed", false],
  ["invoice.*", "invoice", false],
  ["invoice.*", "invoices.paid", false],
  ["*.paid", "invoice.paid", true],
  ["*.paid", "a.b.paid", false],
  ["invoice.**", "invoice.paid", true],
  ["invoice.**", "invoice.payment.failed", true],
  ["invoice.**", "invoice", false],
  ["**.failed", "invoice.payment.failed", true],
  ["a.**.z", "a.b.c.z", true],
  ["a.**.z", "a.z", false],
  ["*", "invoice.payment.failed", true],
  ["*", "ping", true],
  ["**", "a.b", true],
  ["order+x.(1)", "order+x.(1)", true],
  ["order+x.*", "order+x.anything", true],
  ["order.*", "orderX.paid", false],
];

describe("compileTypePattern", () => {
  for (const [pattern, type, expected] of cases) {
    it(`${pattern} ${expected ? "matches" : "does not match"} ${type}`, () => {
      assert.equal(compileTypePattern(pattern, "types[0]").matches(type), expected);
    });
  }

  it("marks exact names for indexing", () => {
    assert.equal(compileTypePattern("invoice.paid", "t").exact, "invoice.paid");
    assert.equal(compileTypePattern("invoice.*", "t").exact, undefined);
  });

  for (const bad of ["", "inv*.paid", "invoice..paid", ".paid", "a.***", 5]) {
    it(`rejects ${JSON.stringify(bad)}`, () => {
      assert.throws(
        () => compileTypePattern(bad, "subscriptions[1].types[0]"),
        (error: unknown) =>
          error instanceof HookyardError &&
          error.code === "CONFIG_INVALID" &&
          error.message.startsWith("subscriptions[1].types[0]: expected"),
      );
    });
  }
});
