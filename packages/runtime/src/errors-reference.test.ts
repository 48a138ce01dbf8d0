import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { API_ERROR_CODES, ERROR_CODES } from "@hookyard/core";
import { renderErrorReference } from "./errors-reference.js";

const root = new URL("../../../", import.meta.url);

describe("docs/errors.md", () => {
  it("is generated from the registry (npm run docs) and lists every code with its retryability", () => {
    const text = renderErrorReference();
    assert.equal(readFileSync(new URL("docs/errors.md", root), "utf8"), text, "run `npm run docs`");
    for (const [code, info] of Object.entries(ERROR_CODES)) {
      const retryable = info.retryable === "varies" ? "varies" : info.retryable ? "yes" : "no";
      assert.ok(text.includes(`| \`${code}\` | ${retryable} |`), code);
    }
    for (const [code, info] of Object.entries(API_ERROR_CODES))
      assert.ok(text.includes(`| \`${code}\` | ${info.status} |`));
  });
});
