import { createHash, createHmac } from "node:crypto";
import { secretListFormat } from "../config/formats.js";
import { formFieldsOf, isForm, jsonObjectOf, textField } from "./body-fields.js";
import { secretsKey, toleranceKey, typeKey } from "./common-keys.js";
import { anyMacMatches } from "./constant-time.js";
import { decodeHex } from "./decode.js";
import { checkTimestamp } from "./timestamp.js";
import { rejected, type VerifierDefinition, type VerifyResult } from "./verifier.js";

export interface SlackOptions {
  type: "slack";
  secrets: string[];
  tolerance: number;
}

/** Parses `X-Slack-Signature: v0=<64 hex>`. */
export function parseSlackSignature(header: string): Buffer | undefined {
  if (!header.startsWith("v0=")) return undefined;
  const mac = decodeHex(header.slice(3));
  return mac?.length === 32 ? mac : undefined;
}

/**
 * Slack: `X-Slack-Signature` is `v0=` + HMAC-SHA256 (hex) of `v0:${X-Slack-Request-Timestamp}:${body}` with the
 * app's signing secret. The Events API `url_verification` handshake is answered with its challenge once verified.
 */
export const slackVerifier: VerifierDefinition<SlackOptions> = {
  type: "slack",
  schema: {
    type: typeKey("slack"),
    secrets: secretsKey(
      "The app's signing secret(s) (Basic Information → App Credentials → Signing Secret).",
      secretListFormat("a string of at least 8 characters", (secret) => secret.length >= 8),
    ),
    tolerance: toleranceKey(),
  },
  sensitiveHeaders: () => ["x-slack-signature"],
  keepHeaders: ["x-slack-request-timestamp", "x-slack-retry-num", "x-slack-retry-reason"],
  create(options) {
    return {
      verify(request, now) {
        const header = request.headers["x-slack-signature"];
        const timestamp = request.headers["x-slack-request-timestamp"];
        if (header === undefined) return rejected("missing signature");
        const stale = checkTimestamp(timestamp, now, options.tolerance);
        if (stale !== undefined) return rejected(stale);
        const presented = parseSlackSignature(header);
        if (presented === undefined) return rejected("malformed signature header");
        const prefix = Buffer.from(`v0:${timestamp}:`, "utf8");
        const expected = options.secrets.map((secret) =>
          createHmac("sha256", secret).update(prefix).update(request.rawBody).digest(),
        );
        if (!anyMacMatches(expected, [presented])) return rejected("signature mismatch");
        return describeSlackEvent(request.rawBody, isForm(request), `${timestamp}:${header}`);
      },
    };
  },
};

function describeSlackEvent(rawBody: Buffer, form: boolean, delivery: string): VerifyResult {
  // Slash commands and interactivity have no event id: timestamp + signature identify the delivery (hashed so
  // the signature never travels on as an id).
  const fallbackId = `slack:${createHash("sha256").update(delivery).digest("hex").slice(0, 32)}`;
  if (form) {
    const fields = formFieldsOf(rawBody);
    const payload = typeof fields.payload === "string" ? jsonObjectOf(Buffer.from(fields.payload)) : undefined;
    const eventType = textField(payload, "type") ?? (typeof fields.command === "string" ? "slash_command" : undefined);
    return { ok: true, eventId: fallbackId, ...(eventType === undefined ? {} : { eventType }) };
  }
  const body = jsonObjectOf(rawBody);
  if (textField(body, "type") === "url_verification") {
    const challenge = textField(body, "challenge") ?? "";
    return {
      ok: true,
      eventType: "url_verification",
      respond: { status: 200, contentType: "application/json", body: JSON.stringify({ challenge }) },
    };
  }
  const eventId = textField(body, "event_id") ?? fallbackId;
  const eventType = textField(body?.event, "type") ?? textField(body, "type");
  return { ok: true, eventId, ...(eventType === undefined ? {} : { eventType }) };
}
