import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { HookyardError } from "@hookyard/core";
import { pubsubClientOptions } from "./client.js";
import { pubsubSinkSchema, pubsubSourceSchema } from "./config.js";
import { requestSizeRefusal } from "./sink.js";
import { sinkConfig, sourceConfig } from "./test-harness.js";

type Node = Record<string, unknown>;

function leaves(schema: Node, path = ""): [string, Node][] {
  return Object.entries(schema).flatMap(([key, value]) => {
    const node = value as Node;
    const at = path === "" ? key : `${path}.${key}`;
    return "doc" in node && "default" in node ? [[at, node] as [string, Node]] : leaves(node, at);
  });
}

describe("pubsub config", () => {
  it("documents every key with a format and a default; the credentials JSON is sensitive", () => {
    for (const schema of [pubsubSourceSchema, pubsubSinkSchema]) {
      for (const [path, node] of leaves(schema as unknown as Node)) {
        assert.ok(typeof node.doc === "string" && node.doc.length > 10, `${path} has a doc`);
        assert.ok(node.format !== undefined, `${path} has a format`);
      }
      assert.equal((schema as unknown as Record<string, Node>).credentialsJson?.sensitive, true);
    }
  });

  it("applies defaults and converts durations and sizes", () => {
    const broker = { projectId: "p", emulatorHost: "127.0.0.1:8085" };
    const source = sourceConfig(broker, { subscription: "s", maxMessageBytes: "1mb", maxExtension: "5m" });
    assert.equal(source.maxInFlight, 128);
    assert.equal(source.maxMessageBytes, 1024 * 1024);
    assert.equal(source.maxExtension, 300_000);
    assert.equal(source.create.enabled, false);
    const sink = sinkConfig(broker, { topic: "t" });
    assert.equal(sink.messageOrdering, true);
    assert.equal(sink.create, false);
  });

  it("refuses a missing subscription, a bad emulator address and unknown keys", () => {
    const broker = { projectId: "p", emulatorHost: "127.0.0.1:8085" };
    assert.throws(() => sourceConfig(broker, {}), /subscription/);
    assert.throws(() => sourceConfig({ ...broker, emulatorHost: "http://x" }, { subscription: "s" }), /host:port/);
    assert.throws(() => sourceConfig(broker, { subscription: "s", maxInflight: 3 }), /maxInflight/);
  });

  it("in emulator mode the client gets the emulator address only, and no credentials", () => {
    const config = sourceConfig(
      { projectId: "p", emulatorHost: "127.0.0.1:8085" },
      { subscription: "s", credentialsFile: "/nonexistent.json" },
    );
    assert.deepEqual(pubsubClientOptions(config), {
      projectId: "p",
      apiEndpoint: "127.0.0.1:8085",
      emulatorMode: true,
    });
  });

  it("uses a key file or inline JSON credentials against Google, never echoing a bad key", () => {
    const base = sourceConfig({ projectId: "p", emulatorHost: "127.0.0.1:1" }, { subscription: "s" });
    const cloud = { ...base, emulatorHost: null };
    assert.deepEqual(pubsubClientOptions({ ...cloud, credentialsFile: "/k.json" }), {
      projectId: "p",
      keyFilename: "/k.json",
    });
    assert.deepEqual(pubsubClientOptions({ ...cloud, credentialsJson: '{"type":"service_account"}' }), {
      projectId: "p",
      credentials: { type: "service_account" },
    });
    assert.throws(
      () => pubsubClientOptions({ ...cloud, credentialsJson: "secret-private-key{" }),
      (error: unknown) =>
        error instanceof HookyardError &&
        error.code === "CONFIG_INVALID" &&
        !error.message.includes("secret-private-key"),
    );
  });
});

describe("pubsub size refusals", () => {
  it("reads the byte limit from the service's and from a gRPC server's refusal", () => {
    assert.equal(
      requestSizeRefusal(new Error("3 INVALID_ARGUMENT: Request payload size exceeds the limit: 10485760 bytes.")),
      10_485_760,
    );
    assert.equal(
      requestSizeRefusal(
        new Error("8 RESOURCE_EXHAUSTED: grpc: received message larger than max (6291600 vs. 4194304)"),
      ),
      4_194_304,
    );
    assert.equal(requestSizeRefusal(new Error("8 RESOURCE_EXHAUSTED: quota exceeded")), undefined);
  });
});
