import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { decodeBody } from "./body-codec.js";

/** What bodyEncoding: base64 accepts: strict, padded base64 (the pattern decodeBody used to test first). */
const STRICT_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function accepts(body: string): boolean {
  try {
    decodeBody(body, "base64");
    return true;
  } catch (error) {
    assert.match(String(error), /not base64/);
    return false;
  }
}

describe("sqs body codec: strict base64", () => {
  it("decodes what the pattern accepts, byte for byte", () => {
    for (const bytes of [[], [0], [0, 255], [1, 2, 3], [251, 255, 191, 0, 62]]) {
      const body = Buffer.from(bytes).toString("base64");
      assert.ok(STRICT_BASE64.test(body));
      assert.deepEqual([...decodeBody(body, "base64")], bytes);
    }
  });

  it("refuses exactly what the pattern refuses, for every UTF-16 code unit in every position", () => {
    const mismatches: string[] = [];
    for (let code = 0; code < 0x10000; code++) {
      const c = String.fromCharCode(code);
      for (const body of [`AAA${c}`, `${c}AAA`, `A${c}==`, `AA${c}=`, `AAAA${c}AA=`, `QUJD${c}`]) {
        if (accepts(body) !== STRICT_BASE64.test(body)) mismatches.push(JSON.stringify(body));
      }
    }
    assert.deepEqual(mismatches.slice(0, 10), []);
  });

  it("agrees with the pattern on random near-base64 strings (padding in the middle, url-safe, wide characters)", () => {
    const pieces = [..."ABCXYZabcxyz0189+/", "=", "==", "-", "_", " ", "\n", ".", "é", "\u0000", "😀", "\uD800"];
    let seed = 42;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    for (let i = 0; i < 100_000; i++) {
      let body = "";
      for (let n = random(14); n > 0; n--) body += pieces[random(4) === 0 ? random(pieces.length) : random(18)];
      assert.equal(accepts(body), STRICT_BASE64.test(body), JSON.stringify(body));
    }
  });
});
