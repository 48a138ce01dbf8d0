import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { HookyardError } from "@hookyard/core";
import { classifyAddress, createSsrfGuard, parseIPv6 } from "./ssrf-guard.js";

describe("classifyAddress", () => {
  const table: [string, string | undefined][] = [
    // public
    ["8.8.8.8", undefined],
    ["93.184.216.34", undefined],
    ["1.1.1.1", undefined],
    ["2606:4700:4700::1111", undefined],
    ["2a00:1450:4001:82b::200e", undefined],
    // IPv4 special ranges
    ["127.0.0.1", "loopback"],
    ["127.255.255.254", "loopback"],
    ["10.0.0.1", "private"],
    ["172.16.0.1", "private"],
    ["172.31.255.255", "private"],
    ["172.32.0.1", undefined],
    ["192.168.1.1", "private"],
    ["169.254.169.254", "link_local"],
    ["169.254.0.1", "link_local"],
    ["100.64.0.1", "cgnat"],
    ["100.127.255.255", "cgnat"],
    ["100.128.0.1", undefined],
    ["0.0.0.0", "unspecified"],
    ["0.1.2.3", "unspecified"],
    ["224.0.0.1", "multicast"],
    ["239.255.255.250", "multicast"],
    ["255.255.255.255", "broadcast"],
    ["240.0.0.1", "reserved"],
    ["192.0.0.170", "reserved"],
    ["198.18.0.1", "benchmarking"],
    ["198.19.255.255", "benchmarking"],
    ["192.0.2.1", "documentation"],
    ["198.51.100.7", "documentation"],
    ["203.0.113.9", "documentation"],
    // IPv6 special ranges
    ["::1", "loopback"],
    ["::", "unspecified"],
    ["fe80::1", "link_local"],
    ["fe80::1%eth0", "link_local"],
    ["febf::1", "link_local"],
    ["fec0::1", "site_local"],
    ["fc00::1", "unique_local"],
    ["fd12:3456:789a::1", "unique_local"],
    ["ff02::1", "multicast"],
    ["2001:db8::1", "documentation"],
    ["3fff::1", "documentation"],
    ["100::1", "reserved"],
    ["2001:0:4136:e378:8000:63bf:3fff:fdd2", "teredo"],
    ["64:ff9b:1::a00:1", "nat64"],
    // IPv6 forms embedding IPv4: judged by the IPv4 they reach
    ["::ffff:127.0.0.1", "loopback"],
    ["::ffff:7f00:1", "loopback"],
    ["0:0:0:0:0:ffff:a9fe:a9fe", "link_local"],
    ["::ffff:10.1.2.3", "private"],
    ["::ffff:8.8.8.8", undefined],
    ["::127.0.0.1", "ipv4_compatible"],
    ["::8.8.8.8", "ipv4_compatible"],
    ["64:ff9b::127.0.0.1", "loopback"],
    ["64:ff9b::a9fe:a9fe", "link_local"],
    ["64:ff9b::808:808", undefined],
    ["2002:7f00:1::", "loopback"],
    ["2002:c0a8:101::1", "private"],
    ["2002:808:808::1", undefined],
    // not addresses at all
    ["localhost", "invalid"],
    ["", "invalid"],
  ];
  for (const [address, expected] of table) {
    it(`${address || "(empty)"} -> ${expected ?? "public"}`, () => {
      assert.equal(classifyAddress(address), expected);
    });
  }
});

describe("URL host spellings (WHATWG URL normalizes them before the guard sees them)", () => {
  const table: [string, string][] = [
    ["http://2130706433/", "127.0.0.1"],
    ["http://0177.0.0.1/", "127.0.0.1"],
    ["http://0x7f.1/", "127.0.0.1"],
    ["http://0x7f000001/", "127.0.0.1"],
    ["http://127.1/", "127.0.0.1"],
    ["http://017700000001/", "127.0.0.1"],
    ["http://0/", "0.0.0.0"],
    ["http://[::ffff:127.0.0.1]/", "[::ffff:7f00:1]"],
    ["http://[0:0:0:0:0:0:0:1]/", "[::1]"],
    ["http://169.254.169.254./", "169.254.169.254"],
  ];
  for (const [url, host] of table) {
    it(`${url} is ${host} and blocked`, () => {
      const hostname = new URL(url).hostname;
      assert.equal(hostname, host);
      assert.notEqual(classifyAddress(hostname.replace(/^\[|\]$/g, "")), undefined);
    });
  }
});

describe("parseIPv6", () => {
  it("expands compressed forms and dotted tails", () => {
    const hex = (text: string): string => Buffer.from(parseIPv6(text) ?? []).toString("hex");
    assert.equal(hex("::1"), "00000000000000000000000000000001");
    assert.equal(hex("fe80::"), "fe800000000000000000000000000000");
    assert.equal(hex("::ffff:1.2.3.4"), "00000000000000000000ffff01020304");
    assert.equal(hex("1:2:3:4:5:6:7:8"), "00010002000300040005000600070008");
    assert.equal(hex("1:2:3:4:5:6:1.2.3.4"), "00010002000300040005000601020304");
  });
});

describe("createSsrfGuard", () => {
  it("lets allow-listed ranges through, including their IPv4-mapped spelling", () => {
    const guard = createSsrfGuard({ allow: ["127.0.0.0/8", "fd00::/8"] });
    assert.equal(guard.check("127.0.0.1"), undefined);
    assert.equal(guard.check("::ffff:127.0.0.1"), undefined);
    assert.equal(guard.check("fd00::5"), undefined);
    assert.equal(guard.check("10.0.0.1"), "private");
    assert.equal(guard.check("::1"), "loopback");
  });

  it("accepts a bare address as a /32", () => {
    const guard = createSsrfGuard({ allow: ["10.1.2.3"] });
    assert.equal(guard.check("10.1.2.3"), undefined);
    assert.equal(guard.check("10.1.2.4"), "private");
  });

  it("blocks by default and can be switched off", () => {
    assert.equal(createSsrfGuard().check("127.0.0.1"), "loopback");
    assert.equal(createSsrfGuard({ enabled: false }).check("127.0.0.1"), undefined);
  });

  it("refuses a malformed allow-list entry with CONFIG_INVALID", () => {
    for (const bad of ["10.0.0.0/33", "not-a-cidr", "10.0.0.0/8/1", "fd00::/129"]) {
      assert.throws(
        () => createSsrfGuard({ allow: [bad] }),
        (error: unknown) => error instanceof HookyardError && error.code === "CONFIG_INVALID",
      );
    }
  });
});
