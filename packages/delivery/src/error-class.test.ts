import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { HookyardError } from "@hookyard/core";
import { describeError, errorClassOf, SSRF_BLOCKED } from "./error-class.js";

const withCode = (code: string, message = code): Error => Object.assign(new Error(message), { code });

describe("errorClassOf", () => {
  const table: [string, unknown, string][] = [
    ["SSRF guard", new HookyardError(SSRF_BLOCKED, "blocked"), "ssrf_blocked"],
    ["connect timeout", withCode("UND_ERR_CONNECT_TIMEOUT"), "timeout"],
    ["headers timeout", withCode("UND_ERR_HEADERS_TIMEOUT"), "timeout"],
    ["body timeout", withCode("UND_ERR_BODY_TIMEOUT"), "timeout"],
    ["refused", withCode("ECONNREFUSED"), "connect"],
    ["unreachable", withCode("EHOSTUNREACH"), "connect"],
    ["dns", withCode("ENOTFOUND"), "dns"],
    ["dns again", withCode("EAI_AGAIN"), "dns"],
    ["tls self-signed", withCode("DEPTH_ZERO_SELF_SIGNED_CERT"), "tls"],
    ["tls altname", withCode("ERR_TLS_CERT_ALTNAME_INVALID"), "tls"],
    ["tls expired", withCode("CERT_HAS_EXPIRED"), "tls"],
    ["headers too large", withCode("UND_ERR_HEADERS_OVERFLOW"), "body_too_large"],
    ["reset", withCode("ECONNRESET"), "network"],
    ["socket", withCode("UND_ERR_SOCKET"), "network"],
    ["proxy refusal", new Error("Proxy response (403) !== 200 when HTTP Tunneling"), "connect"],
    ["cause chain", new Error("wrapped", { cause: withCode("ECONNREFUSED") }), "connect"],
    [
      "happy-eyeballs aggregate",
      Object.assign(new AggregateError([withCode("ECONNREFUSED"), withCode("ECONNREFUSED")]), { code: undefined }),
      "connect",
    ],
    ["not an error", "boom", "network"],
  ];
  for (const [what, error, expected] of table) {
    it(`${what} -> ${expected}`, () => assert.equal(errorClassOf(error), expected));
  }
});

describe("describeError", () => {
  it("names the code and spells out aggregate members", () => {
    assert.equal(describeError(withCode("ECONNRESET", "socket hang up")), "ECONNRESET: socket hang up");
    assert.equal(
      describeError(withCode("ECONNREFUSED", "connect ECONNREFUSED 1.2.3.4:80")),
      "connect ECONNREFUSED 1.2.3.4:80",
    );
    const aggregate = new AggregateError([withCode("ECONNREFUSED", "a"), withCode("ETIMEDOUT", "b")], "");
    assert.equal(describeError(aggregate), "ECONNREFUSED: a; ETIMEDOUT: b");
  });
});
