import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { sign } from "@octokit/webhooks-methods";
import { reasonOf, requestOf, tamper, verifierFrom } from "../test-support.js";
import { githubVerifier } from "./verify-github.js";

const SECRET = "gh-webhook-secret-1";
const OTHER = "gh-webhook-secret-2";
const BODY = JSON.stringify({ action: "opened", number: 7, pull_request: { title: "Fix" } });

describe("github verifier", () => {
  const verifier = verifierFrom(githubVerifier, { secrets: [SECRET] });
  const headersFor = (signature: string | undefined) => ({
    "x-github-event": "pull_request",
    "x-github-delivery": "72d3162e-cc78-11e3-81ab-4c9367dc0958",
    ...(signature === undefined ? {} : { "x-hub-signature-256": signature }),
  });
  const verify = (signature: string | undefined, body: string | Buffer = BODY, v = verifier) =>
    reasonOf(v.verify(requestOf({ body, headers: headersFor(signature) }), Date.now()));

  test("accepts a signature from @octokit/webhooks-methods, with delivery id and event type", async () => {
    const result = verifier.verify(requestOf({ body: BODY, headers: headersFor(await sign(SECRET, BODY)) }), 0);
    assert.deepEqual(result, {
      ok: true,
      eventId: "72d3162e-cc78-11e3-81ab-4c9367dc0958",
      eventType: "pull_request",
    });
  });

  test("accepts GitHub's documented example", () => {
    const example = verifierFrom(githubVerifier, { secrets: ["It's a Secret to Everybody"] });
    const signature = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
    assert.equal(verify(signature, "Hello, World!", example), "ok");
  });

  test("rotation: the second secret is accepted", async () => {
    const rotating = verifierFrom(githubVerifier, { secrets: [OTHER, SECRET] });
    assert.equal(verify(await sign(SECRET, BODY), BODY, rotating), "ok");
    assert.equal(verify(await sign(OTHER, BODY), BODY, rotating), "ok");
  });

  test("rejects tampering, a wrong secret, truncated, missing, legacy sha1 and unknown prefixes", async () => {
    const signature = await sign(SECRET, BODY);
    assert.equal(verify(signature, tamper(BODY, BODY.length - 1)), "signature mismatch");
    assert.equal(verify(await sign(OTHER, BODY)), "signature mismatch");
    assert.equal(verify(signature.slice(0, -2)), "malformed signature header");
    assert.equal(verify(undefined), "missing signature");
    assert.equal(verify(signature.replace("sha256=", "sha1=")), "malformed signature header");
    assert.equal(verify(signature.replace("sha256=", "sha512=")), "malformed signature header");
    assert.equal(verify(signature.toUpperCase().replace("SHA256=", "sha256=")), "ok");
  });
});
