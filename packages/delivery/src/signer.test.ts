import assert from "node:assert/strict";
import { createHmac, verify } from "node:crypto";
import { describe, it } from "node:test";
import { HookyardError } from "@hookyard/core";
import { Webhook } from "standardwebhooks";
import { createSigner, signPayload } from "./signer.js";
import {
  generateSecret,
  generateSigningKeyPair,
  publicKeyFromSecret,
  publicKeyObject,
  SYMMETRIC_PREFIX,
} from "./signing-keys.js";

const now = (): number => Math.floor(Date.now() / 1000);

function signatures(header: string, scheme: string): string[] {
  return header
    .split(" ")
    .filter((part) => part.startsWith(`${scheme},`))
    .map((part) => part.slice(scheme.length + 1));
}

describe("signPayload v1 (HMAC-SHA256)", () => {
  it("verifies with the official standardwebhooks library", () => {
    const secret = generateSecret();
    const payload = JSON.stringify({ type: "invoice.paid", amount: 12, note: "naïve ✓ 日本" });
    const timestamp = now();
    const signature = signPayload({ id: "msg_1", timestamp, payload, secrets: [secret] });
    const headers = { "webhook-id": "msg_1", "webhook-timestamp": String(timestamp), "webhook-signature": signature };
    assert.deepEqual(new Webhook(secret).verify(payload, headers), JSON.parse(payload));
    assert.deepEqual(new Webhook(secret).verify(Buffer.from(payload), headers), JSON.parse(payload));
  });

  it("signs with every active secret during a rotation; the library verifies with either", () => {
    const oldSecret = generateSecret();
    const newSecret = generateSecret();
    const timestamp = now();
    const payload = '{"ok":true}';
    const signature = createSigner().sign({
      id: "msg_rot",
      timestamp,
      payload,
      secrets: [
        { secret: oldSecret, expiresAt: new Date(Date.now() + 3_600_000).toISOString() },
        { secret: newSecret },
      ],
    });
    assert.equal(signatures(signature, "v1").length, 2);
    const headers = { "webhook-id": "msg_rot", "webhook-timestamp": String(timestamp), "webhook-signature": signature };
    assert.deepEqual(new Webhook(oldSecret).verify(payload, headers), { ok: true });
    assert.deepEqual(new Webhook(newSecret).verify(payload, headers), { ok: true });
    assert.throws(() => new Webhook(generateSecret()).verify(payload, headers), /No matching signature/);
  });

  it("skips secrets whose expiresAt has passed, and refuses when none remains", () => {
    const expired = { secret: generateSecret(), expiresAt: new Date(Date.now() - 1000).toISOString() };
    const active = generateSecret();
    const timestamp = now();
    const signature = signPayload({ id: "m", timestamp, payload: "{}", secrets: [expired, { secret: active }] });
    assert.equal(signatures(signature, "v1").length, 1);
    const headers = { "webhook-id": "m", "webhook-timestamp": String(timestamp), "webhook-signature": signature };
    assert.throws(() => new Webhook(expired.secret).verify("{}", headers));
    assert.throws(
      () => signPayload({ id: "m", timestamp, payload: "{}", secrets: [expired] }),
      (error: unknown) => error instanceof HookyardError && error.code === "CONFIG_INVALID",
    );
  });

  it("signs the exact bytes, including bytes that are not UTF-8", () => {
    // The library decodes Buffers as UTF-8 before signing, so non-UTF-8 payloads are checked against node:crypto.
    const payload = new Uint8Array([0x7b, 0xff, 0xfe, 0x00, 0x80, 0xc3, 0x28, 0x7d]);
    const secret = generateSecret();
    const timestamp = 1_700_000_000;
    const signature = signPayload({ id: "msg_bin", timestamp, payload, secrets: [secret] });
    const key = Buffer.from(secret.slice(SYMMETRIC_PREFIX.length), "base64");
    const expected = createHmac("sha256", key)
      .update(Buffer.concat([Buffer.from(`msg_bin.${timestamp}.`), payload]))
      .digest("base64");
    assert.equal(signature, `v1,${expected}`);
    // And a string payload equals its UTF-8 bytes.
    const text = "héllo";
    assert.equal(
      signPayload({ id: "x", timestamp, payload: text, secrets: [secret] }),
      signPayload({ id: "x", timestamp, payload: Buffer.from(text, "utf8"), secrets: [secret] }),
    );
  });

  it("matches the library's signature for the same inputs", () => {
    const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const at = new Date(1_614_265_330_000);
    const payload = '{"test": 2432232314}';
    assert.equal(
      signPayload({ id: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: at, payload, secrets: [secret] }),
      new Webhook(secret).sign("msg_p5jXN8AQM9LWM0D4loKWxJek", at, payload),
    );
  });

  it("refuses malformed secrets without echoing them", () => {
    for (const bad of ["whsec_", "whsec_not base64!", "whsec_AAAA", "plain-xyz", "whsk_AAAA"]) {
      const body = bad.slice(bad.indexOf("_") + 1);
      assert.throws(
        () => signPayload({ id: "m", timestamp: 1, payload: "", secrets: [bad] }),
        (error: unknown) =>
          error instanceof HookyardError &&
          error.code === "CONFIG_INVALID" &&
          (body === "" || !error.message.includes(body)),
        bad,
      );
    }
  });
});

describe("signPayload v1a (ed25519)", () => {
  it("verifies against the derived whpk_ public key with node:crypto", () => {
    const pair = generateSigningKeyPair();
    assert.match(pair.secret, /^whsk_[A-Za-z0-9+/]{43}=$/);
    assert.match(pair.publicKey, /^whpk_[A-Za-z0-9+/]{43}=$/);
    assert.equal(publicKeyFromSecret(pair.secret), pair.publicKey);
    const payload = new Uint8Array([0x00, 0xff, 0x10, 0x80, 0x7b, 0x7d]);
    const timestamp = now();
    const signature = signPayload({ id: "msg_ed", timestamp, payload, secrets: [pair.secret] });
    const [value] = signatures(signature, "v1a");
    assert.ok(value);
    const message = Buffer.concat([Buffer.from(`msg_ed.${timestamp}.`), payload]);
    assert.equal(verify(null, message, publicKeyObject(pair.publicKey), Buffer.from(value, "base64")), true);
    const tampered = Buffer.from(message);
    tampered.writeUInt8(tampered.readUInt8(tampered.length - 1) ^ 1, tampered.length - 1);
    assert.equal(verify(null, tampered, publicKeyObject(pair.publicKey), Buffer.from(value, "base64")), false);
  });

  it("mixes v1 and v1a in one header during a migration", () => {
    const pair = generateSigningKeyPair();
    const hmac = generateSecret();
    const timestamp = now();
    const signature = createSigner().sign({ id: "m", timestamp, payload: "{}", secrets: [hmac, pair.secret] });
    assert.equal(signatures(signature, "v1").length, 1);
    assert.equal(signatures(signature, "v1a").length, 1);
    const headers = { "webhook-id": "m", "webhook-timestamp": String(timestamp), "webhook-signature": signature };
    assert.deepEqual(new Webhook(hmac).verify("{}", headers), {});
  });

  it("accepts the 64-byte seed+public layout and rejects a mismatched one", () => {
    const pair = generateSigningKeyPair();
    const seed = Buffer.from(pair.secret.slice(5), "base64");
    const pub = Buffer.from(pair.publicKey.slice(5), "base64");
    const long = `whsk_${Buffer.concat([seed, pub]).toString("base64")}`;
    assert.equal(publicKeyFromSecret(long), pair.publicKey);
    const wrong = `whsk_${Buffer.concat([seed, Buffer.alloc(32, 1)]).toString("base64")}`;
    assert.throws(() => publicKeyFromSecret(wrong), /does not match/);
  });
});

describe("createSigner", () => {
  it("gives the same result as signPayload and keeps working past its cache size", () => {
    const signer = createSigner({ maxCachedKeys: 2 });
    const secrets = [generateSecret(), generateSecret(), generateSecret()];
    for (let round = 0; round < 2; round++) {
      for (const secret of secrets) {
        const input = { id: "m", timestamp: 1_700_000_000, payload: "{}", secrets: [secret] };
        assert.equal(signer.sign(input), signPayload(input));
      }
    }
  });
});
