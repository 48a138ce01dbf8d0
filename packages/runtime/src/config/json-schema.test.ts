import assert from "node:assert/strict";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { Ajv2020 } from "ajv/dist/2020.js";
import { parse } from "yaml";
import { loadBuiltInConnectors } from "../connectors/builtin-connectors.js";
import { configJsonSchema } from "./json-schema.js";

const root = fileURLToPath(new URL("../../../../", import.meta.url));
const SCHEMA_LINE = "# yaml-language-server: $schema=../docs/config.schema.json";

const ajv = new Ajv2020({ allErrors: true, strict: true });
const validate = ajv.compile(configJsonSchema(await loadBuiltInConnectors()));

function problems(document: unknown): string[] {
  return validate(document) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
}

describe("the config's JSON Schema (hookyard schema)", async () => {
  const examples = (await readdir(join(root, "config"))).filter((name) => /\.example\.ya?ml$/.test(name)).sort();

  it("docs/config.schema.json is what `hookyard schema` prints (npm run docs)", async () => {
    const committed = JSON.parse(await readFile(join(root, "docs/config.schema.json"), "utf8"));
    assert.deepEqual(committed, JSON.parse(JSON.stringify(configJsonSchema(await loadBuiltInConnectors()))));
  });

  for (const name of examples) {
    it(`config/${name} carries the $schema line and validates against the schema`, async () => {
      const text = await readFile(join(root, "config", name), "utf8");
      assert.equal(text.split("\n")[0], SCHEMA_LINE, "the first line points editors at the schema");
      assert.deepEqual(problems(parse(text)), []);
    });
  }

  it("refuses what validate refuses by shape: unknown keys, wrong types, unknown connector and verifier keys", () => {
    const cases: [string, unknown, RegExp][] = [
      ["a mistyped key", { server: { prot: 8080 } }, /\/server must NOT have additional properties/],
      ["a string where a number goes", { delivery: { concurrency: "lots" } }, /\/delivery\/concurrency/],
      ["a bad duration", { server: { shutdownGrace: "soon" } }, /\/server\/shutdownGrace/],
      [
        "a key the kafka source does not have",
        { sources: [{ id: "k", type: "kafka", config: { topic: "orders" } }] },
        /\/sources\/0\/config must NOT have additional properties/,
      ],
      [
        "a key the stripe verifier does not have",
        { ingress: { routes: [{ id: "s", path: "/s", verifier: { type: "stripe", secrets: ["x"], secret: "y" } }] } },
        /\/ingress\/routes\/0\/verifier must NOT have additional properties/,
      ],
      [
        "an endpoint without its url",
        { endpoints: [{ id: "e", secrets: ["x"] }] },
        /must have required property 'url'/,
      ],
    ];
    for (const [what, document, expected] of cases) assert.match(problems(document).join("\n"), expected, what);
  });

  it("accepts environment references where numbers and booleans go, as the loader does", () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: literal ${VAR} references, not templates
    const document = { server: { port: "${PORT:-8080}" }, ingest: { enabled: "${INGEST:-true}" } };
    assert.deepEqual(problems(document), []);
  });
});
