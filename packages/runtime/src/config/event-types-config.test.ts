import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { resolveFakeConnector } from "./fake-connector.fixture.js";
import { loadConfigText } from "./load-config.js";
import { ConfigValidationError } from "./problems.js";

const options = { env: {}, resolveConnector: resolveFakeConnector };

async function problemsOf(text: string): Promise<string[]> {
  try {
    await loadConfigText(text, "hookyard.yaml", options);
  } catch (error) {
    assert.ok(error instanceof ConfigValidationError, String(error));
    return error.problems.map((problem) => problem.message);
  }
  assert.fail("the config was accepted");
}

describe("config: eventTypes (the catalogue)", () => {
  it("loads types with their schema, example, group, deprecated flag and validation mode (default warn)", async () => {
    const config = await loadConfigText(
      `
eventTypes:
  - name: invoice.paid
    description: An invoice was paid.
    group: Invoices
    schema: { type: object, required: [amount], properties: { amount: { type: number } } }
    example: { amount: 12 }
    validation: reject
  - name: invoice.voided
    deprecated: true
`,
      "hookyard.yaml",
      options,
    );
    assert.deepEqual(config.eventTypes, [
      {
        name: "invoice.paid",
        description: "An invoice was paid.",
        group: "Invoices",
        schema: { type: "object", required: ["amount"], properties: { amount: { type: "number" } } },
        example: { amount: 12 },
        deprecated: false,
        validation: "reject",
      },
      { name: "invoice.voided", description: "", deprecated: true, validation: "warn" },
    ]);
  });

  it("names the key of a broken schema, an example that does not match, a typo'd keyword and a duplicate name", async () => {
    const problems = await problemsOf(`
eventTypes:
  - name: a.one
    schema: { type: object, properties: { amount: { type: numbr } } }
  - name: a.two
    schema: { type: object, properties: { amount: { type: number } } }
    example: { amount: "12" }
  - name: a.three
    schema: { type: object, requird: [amount] }
  - name: a.one
  - name: "invoice.*"
  - name: a.four
    validation: strict
`);
    const text = problems.join("\n");
    assert.match(text, /eventTypes\[0\]\.schema\.properties\.amount\.type.*a valid JSON Schema/);
    assert.match(text, /eventTypes\[1\]\.example\.amount.*an example that matches the schema.*must be number/);
    assert.match(text, /eventTypes\[2\]\.schema.*unknown keyword: "requird"/);
    assert.match(text, /eventTypes\[3\]\.name.*a unique name.*already used by eventTypes\[0\]/);
    assert.match(text, /eventTypes\[4\]\.name.*no globs/);
    assert.match(text, /eventTypes\[5\]\.validation/);
    assert.equal(problems.length, 6, text);
  });
});
