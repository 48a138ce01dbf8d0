import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { MessageAttributeValue } from "@aws-sdk/client-sqs";
import { HookyardError } from "@hookyard/core";
import { attributesToHeaders } from "./attributes.js";
import { decodeBody, encodeBody } from "./body-codec.js";
import { sqsClientOptions } from "./client.js";
import { sqsSinkSchema, sqsSourceSchema } from "./config.js";
import { sourceConfig } from "./test-harness.js";

type Node = Record<string, unknown>;

function leaves(schema: Node, path = ""): [string, Node][] {
  return Object.entries(schema).flatMap(([key, value]) => {
    const node = value as Node;
    const at = path === "" ? key : `${path}.${key}`;
    return "doc" in node && "default" in node ? [[at, node] as [string, Node]] : leaves(node, at);
  });
}

const broker = { endpoint: "http://127.0.0.1:9324", region: "us-east-1" };

describe("sqs config and codecs", () => {
  it("documents every key; credentials are sensitive", () => {
    for (const schema of [sqsSourceSchema, sqsSinkSchema]) {
      const all = leaves(schema as unknown as Node);
      for (const [path, node] of all) {
        assert.ok(typeof node.doc === "string" && node.doc.length > 10, `${path} has a doc`);
        assert.ok(node.format !== undefined, `${path} has a format`);
      }
      for (const key of ["credentials.accessKeyId", "credentials.secretAccessKey", "credentials.sessionToken"]) {
        assert.equal(all.find(([path]) => path === key)?.[1].sensitive, true, key);
      }
    }
  });

  it("applies defaults and refuses bad values", () => {
    const config = sourceConfig(broker, { queueName: "q" });
    assert.equal(config.batchSize, 10);
    assert.equal(config.bodyEncoding, "utf8");
    assert.equal(config.poison, "deadLetter");
    assert.throws(() => sourceConfig(broker, { queueName: "q", batchSize: 11 }), /batchSize/);
    assert.throws(() => sourceConfig(broker, { queueName: "q", bodyEncoding: "hex" }), /bodyEncoding/);
  });

  it("needs both key parts for explicit credentials", () => {
    const config = sourceConfig(broker, { queueName: "q" });
    const options = sqsClientOptions(config);
    assert.equal(options.endpoint, broker.endpoint);
    // Each command's middleware stack is resolved once per client, not on every request (CPU per request).
    assert.equal(options.cacheMiddleware, true);
    assert.throws(
      () =>
        sqsClientOptions({ ...config, credentials: { accessKeyId: "a", secretAccessKey: null, sessionToken: null } }),
      (error: unknown) => error instanceof HookyardError && error.code === "CONFIG_INVALID",
    );
  });

  it("round-trips every byte in base64 and refuses non-UTF-8 in utf8", () => {
    const bytes = new Uint8Array(Array.from({ length: 256 }, (_, i) => i));
    assert.deepEqual(decodeBody(encodeBody(bytes, "base64"), "base64"), bytes);
    assert.throws(() => encodeBody(new Uint8Array([0xc3, 0x28]), "utf8"), /not valid UTF-8/);
    assert.throws(() => encodeBody(new Uint8Array([0x01]), "utf8"), /characters SQS refuses/);
    assert.throws(() => decodeBody("a b", "base64"), /not base64/);
  });

  it("turns attributes into headers, unpacking hookyard-headers", () => {
    const attributes: Record<string, MessageAttributeValue> = {
      "hookyard-headers": { DataType: "String", StringValue: '{"x-a":"1","ce-id":"packed"}' },
      "ce-id": { DataType: "String", StringValue: "own" },
    };
    assert.deepEqual(attributesToHeaders(attributes), { "x-a": "1", "ce-id": "own" });
  });
});
