import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { describe, test } from "node:test";
import { reasonOf, requestOf, tamper, verifierFrom } from "../test-support.js";
import { slackVerifier } from "./verify-slack.js";

const SECRET = "8f742231b10e8888abcd99yyyzzz85a5";
const OTHER = "0000000000aaaaaaaaaa111111111111";
const NOW = Date.UTC(2026, 0, 2, 3, 4, 5);
const EVENT = JSON.stringify({
  type: "event_callback",
  event_id: "Ev0PV52K21",
  event: { type: "app_mention", text: "hi" },
});

// Slack ships no standalone verification library (Bolt bundles it): requests are signed as its docs describe.
const sign = (secret: string, timestamp: number, body: string | Buffer) =>
  `v0=${createHmac("sha256", secret).update(`v0:${timestamp}:`).update(body).digest("hex")}`;

describe("slack verifier", () => {
  const verifier = verifierFrom(slackVerifier, { secrets: [SECRET] });
  const ts = Math.floor(NOW / 1000);
  const verify = (body: string | Buffer, signature: string | undefined, timestamp: number = ts, v = verifier) =>
    v.verify(
      requestOf({
        body,
        headers: {
          "content-type": "application/json",
          "x-slack-request-timestamp": String(timestamp),
          ...(signature === undefined ? {} : { "x-slack-signature": signature }),
        },
      }),
      NOW,
    );

  test("accepts a signed event with its event_id and event type", () => {
    assert.deepEqual(verify(EVENT, sign(SECRET, ts, EVENT)), {
      ok: true,
      eventId: "Ev0PV52K21",
      eventType: "app_mention",
    });
  });

  test("accepts Slack's documented example (a slash command)", () => {
    const body =
      "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
    const request = requestOf({
      body,
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        "x-slack-request-timestamp": "1531420618",
        "x-slack-signature": "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503",
      },
    });
    const result = verifier.verify(request, 1531420618 * 1000);
    assert.equal(reasonOf(result), "ok");
    assert.equal(result.ok && result.eventType, "slash_command");
    assert.match(String(result.ok && result.eventId), /^slack:[0-9a-f]{32}$/);
  });

  test("answers the url_verification challenge once verified", () => {
    const body = JSON.stringify({
      token: "t",
      challenge: "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
      type: "url_verification",
    });
    const result = verify(body, sign(SECRET, ts, body));
    assert.ok(result.ok);
    assert.deepEqual(result.respond, {
      status: 200,
      contentType: "application/json",
      body: JSON.stringify({ challenge: "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" }),
    });
    assert.equal(reasonOf(verify(body, sign(OTHER, ts, body))), "signature mismatch");
  });

  test("rotation: the second signing secret is accepted", () => {
    const rotating = verifierFrom(slackVerifier, { secrets: [OTHER, SECRET] });
    assert.equal(reasonOf(verify(EVENT, sign(SECRET, ts, EVENT), ts, rotating)), "ok");
    assert.equal(reasonOf(verify(EVENT, sign(OTHER, ts, EVENT), ts, rotating)), "ok");
  });

  test("rejects tampering, a wrong secret, truncated, missing and unknown-version signatures", () => {
    const signature = sign(SECRET, ts, EVENT);
    assert.equal(reasonOf(verify(tamper(EVENT, 2), signature)), "signature mismatch");
    assert.equal(reasonOf(verify(EVENT, sign(OTHER, ts, EVENT))), "signature mismatch");
    assert.equal(reasonOf(verify(EVENT, signature.slice(0, -2))), "malformed signature header");
    assert.equal(reasonOf(verify(EVENT, undefined)), "missing signature");
    assert.equal(reasonOf(verify(EVENT, signature.replace("v0=", "v1="))), "malformed signature header");
  });

  test("rejects stale and future timestamps, and a timestamp that differs from the signed one", () => {
    const old = ts - 301;
    assert.equal(reasonOf(verify(EVENT, sign(SECRET, old, EVENT), old)), "timestamp too old");
    const future = ts + 301;
    assert.equal(reasonOf(verify(EVENT, sign(SECRET, future, EVENT), future)), "timestamp in the future");
    assert.equal(reasonOf(verify(EVENT, sign(SECRET, ts, EVENT), ts + 1)), "signature mismatch");
  });
});
