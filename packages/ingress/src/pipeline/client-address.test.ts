import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createClientOriginResolver } from "./client-address.js";

describe("client origin behind trusted proxies", () => {
  const xff = createClientOriginResolver({ trustedCidrs: ["10.0.0.0/8", "35.191.0.0/16"] });

  it("judges a request from an untrusted socket by the socket alone, whatever it claims", () => {
    assert.deepEqual(xff("198.51.100.7", { "x-forwarded-for": "203.0.113.9", "x-forwarded-proto": "https" }), {
      address: "198.51.100.7",
    });
  });

  it("walks X-Forwarded-For from the right, skipping trusted hops, to the first untrusted one", () => {
    const origin = xff("10.1.2.3", {
      "x-forwarded-for": "1.1.1.1, 203.0.113.9, 35.191.4.5",
      "x-forwarded-proto": "http, HTTPS",
      "x-forwarded-host": "hooks.example.com",
    });
    // 1.1.1.1 is what the client wrote itself: left of the first untrusted hop, never believed.
    assert.deepEqual(origin, { address: "203.0.113.9", protocol: "https", host: "hooks.example.com" });
  });

  it("takes the leftmost hop when every hop is trusted, and the socket when there is no header", () => {
    assert.equal(xff("10.0.0.1", { "x-forwarded-for": "10.0.0.9" }).address, "10.0.0.9");
    assert.equal(xff("10.0.0.1", {}).address, "10.0.0.1");
  });

  it("strips ports and IPv6 brackets, and matches IPv4-mapped sockets", () => {
    assert.equal(xff("::ffff:10.0.0.1", { "x-forwarded-for": "203.0.113.9:4711" }).address, "203.0.113.9");
    assert.equal(xff("10.0.0.1", { "x-forwarded-for": "[2001:db8::1]:80" }).address, "2001:db8::1");
  });

  it("reads only the configured header: Forwarded is ignored in x-forwarded-for mode, and the reverse", () => {
    assert.equal(xff("10.0.0.1", { forwarded: "for=203.0.113.9" }).address, "10.0.0.1");
    const rfc = createClientOriginResolver({ trustedCidrs: ["10.0.0.0/8"], header: "forwarded" });
    assert.equal(rfc("10.0.0.1", { "x-forwarded-for": "203.0.113.9" }).address, "10.0.0.1");
    assert.deepEqual(
      rfc("10.0.0.1", { forwarded: 'for=1.1.1.1, for="[2001:db8:cafe::17]:4711";proto=HTTPS;host=hooks.example.com' }),
      { address: "2001:db8:cafe::17", protocol: "https", host: "hooks.example.com" },
    );
  });

  it("trusts nobody without CIDRs", () => {
    const none = createClientOriginResolver({ trustedCidrs: [] });
    assert.equal(none("127.0.0.1", { "x-forwarded-for": "203.0.113.9" }).address, "127.0.0.1");
  });
});
