/**
 * One example route per verifier type, as YAML under `ingress.routes`: docs/config.md shows each under its
 * verifier's keys (generated), and a runtime test loads every one through the real config loader.
 */
export const PROVIDER_EXAMPLES: Readonly<Record<string, string>> = Object.freeze({
  "standard-webhooks": `- id: acme-platform
  path: /ingress/acme/platform
  verifier:
    type: standard-webhooks
    secrets: ["\${ACME_WEBHOOK_SECRET}"]   # whsec_… (v1, HMAC-SHA256) and/or whpk_… (v1a, ed25519)
    tolerance: 5m
  rules:
    - types: ["order.**"]
      targets: [orders-kafka]`,
  stripe: `- id: stripe-acme
  path: /ingress/stripe/acme
  verifier:
    type: stripe
    secrets: ["\${STRIPE_WEBHOOK_SECRET}"]   # whsec_…; list two while rolling it
    tolerance: 5m
  limits: { maxBodyBytes: 512kb }
  dedup: { ttl: 3d }                        # Stripe retries for up to 3 days
  rules:
    - types: ["invoice.*", "customer.subscription.*"]
      targets: [billing-kafka]
  defaultTargets: [stripe-archive]`,
  github: `- id: github-acme
  path: /ingress/github/acme
  verifier:
    type: github
    secrets: ["\${GITHUB_WEBHOOK_SECRET}"]
  limits:
    allowCidrs: ["192.30.252.0/22", "185.199.108.0/22", "140.82.112.0/20", "143.55.64.0/20"]  # api.github.com/meta
  rules:
    - match: { headers.x-github-event: push, body.ref: refs/heads/main }
      targets: [deploys]`,
  shopify: `- id: shopify-acme
  path: /ingress/shopify/acme
  verifier:
    type: shopify
    secrets: ["\${SHOPIFY_CLIENT_SECRET}"]
  dedup: { ttl: 2d }                        # Shopify retries 8 times over 4 hours
  rules:
    - match: { headers.x-shopify-topic: { $in: [orders/create, orders/paid] } }
      targets: [orders-kafka]`,
  slack: `- id: slack-ops
  path: /ingress/slack/ops
  verifier:
    type: slack
    secrets: ["\${SLACK_SIGNING_SECRET}"]
    tolerance: 5m
  rules:
    - types: [app_mention, message]
      targets: [chatops-rabbit]`,
  twilio: `- id: twilio-acme
  path: /ingress/twilio/acme
  publicUrl: https://hooks.example.com      # the origin configured in Twilio
  verifier:
    type: twilio
    secrets: ["\${TWILIO_AUTH_TOKEN}"]
  rules:
    - types: [message]
      targets: [sms-inbound]`,
  hmac: `- id: payments-partner
  path: /ingress/partner/payments
  verifier:
    type: hmac
    secrets: ["\${PARTNER_SECRET}"]
    header: X-Partner-Signature
    algorithm: sha256
    encoding: hex
    prefix: "sha256="
    signed: "{timestamp}.{body}"
    timestampHeader: X-Partner-Timestamp
    tolerance: 5m
  eventId: { header: x-partner-delivery }
  eventType: { jsonPath: event }
  defaultTargets: [partner-events]`,
  "basic-auth": `- id: legacy-crm
  path: /ingress/crm
  verifier:
    type: basic-auth
    secrets: ["hookyard:\${CRM_WEBHOOK_PASSWORD}"]   # "user:password"
  limits: { allowCidrs: ["203.0.113.0/24"] }
  eventId: { jsonPath: eventId }
  defaultTargets: [crm-events]`,
  "api-key": `- id: monitoring-alerts
  path: /ingress/alerts
  verifier:
    type: api-key
    secrets: ["\${ALERTS_KEY}"]
    header: authorization
    scheme: Bearer
  eventType: { jsonPath: alert.status }
  defaultTargets: [alerts-kafka]`,
});
