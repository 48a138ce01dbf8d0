/** The hand-written opening of docs/config.md; the tables after it are generated from the schemas. */
export const REFERENCE_INTRO = `# Configuration reference

Hookyard is configured by one file, YAML (\`.yaml\`, \`.yml\`) or JSON (\`.json\`), chosen by its extension:

\`\`\`sh
hookyard validate -c hookyard.yaml   # check it, print it with secrets redacted
hookyard start -c hookyard.yaml
\`\`\`

The whole file is validated before anything starts, and every problem is reported at once, each naming the file,
the key path, what was expected and what was found:

\`\`\`
invalid config hookyard.yaml (2 problems):
  hookyard.yaml: endpoints[2].url: expected an http(s) URL, found "ftp://x" (line 31)
  hookyard.yaml: subscriptions[0].endpoints[0]: expected the id of an endpoint defined in endpoints, found "acme-order", which is not defined (did you mean "acme-orders"?) (line 40)
\`\`\`

The same checks run at \`hookyard start\` (exit 78), including each connector's own checks that need no broker
(a Kafka source without \`topics\`, an SQS queue named neither by URL nor by name, …). \`validate\` prints the
config in the file's own keys with every default filled in.

**Editor support.** \`hookyard schema\` prints the file's JSON Schema (also committed as
[config.schema.json](config.schema.json)), generated from the same schemas as this page. With the YAML language
server (VS Code's YAML extension, IntelliJ, Neovim) the first line of a config file turns on completion, hover
docs and squiggles for unknown keys and wrong types:

\`\`\`yaml
# yaml-language-server: $schema=./hookyard.schema.json      (after: hookyard schema > hookyard.schema.json)
\`\`\`

The schema checks names and shapes; \`hookyard validate\` remains the full check.

## The file at a glance

\`\`\`yaml
server: { host: 127.0.0.1, port: 8080 }
log: { level: info, format: auto }             # auto = pretty on a terminal, JSON otherwise
redis: { url: "\${REDIS_URL}" }                 # omit redis entirely for the embedded, NOT durable, in-process store
# redis: { cluster: ["10.0.0.1:6379", "10.0.0.2:6379"], password: "\${REDIS_PASSWORD}" }
ingest: { enabled: true, apiKeys: ["\${HOOKYARD_INGEST_KEY}"], maxBodyBytes: 1mb }
egress: { allowCidrs: [], timeout: 15s, maxResponseBodyBytes: 64kb }

endpoints:
  - id: acme-orders
    owner: acme
    url: https://hooks.acme.example/orders
    secrets: ["\${ACME_WEBHOOK_SECRET}"]       # whsec_… (HMAC) or whsk_… (ed25519); several during a rotation
    headers: { x-tenant: acme }
    policy:
      concurrency: 10
      rateLimit: { perSecond: 50, burst: 100 }
      retry: { schedule: [0, 5s, 5m, 30m, 2h], jitter: 0.1 }

subscriptions:
  - id: acme-paid-orders
    endpoints: [acme-orders]
    types: ["order.*", "invoice.paid"]          # exact names and globs, see routing.md
    filter: { "data.amount": { $gte: 100 } }    # optional, see routing.md

sources:
  - id: orders
    type: kafka                                 # a built-in connector, or an npm package name
    mapping: { type: { header: ce-type } }      # where envelope fields come from, see routing.md
    config: { … }                               # the connector's own keys, see Connectors below

sinks: []                                       # broker targets of ingress routes
ingress: { routes: [] }                         # inbound webhooks, see ingress.routes below
operator: { endpoints: [] }                     # where operator alerts go, see operator.endpoints below
\`\`\`

## Rules that apply everywhere

- **Unknown keys are errors**, with a "did you mean" hint, at every level including connector configs.
- **Environment variables**: \`\${VAR}\` and \`\${VAR:-default}\` are replaced in string values (never in keys)
  before validation; an unset variable without a default is an error naming the variable and the key. The default
  also applies when the variable is set but empty. Write \`$\${\` for a literal \`\${\`. Inside a YAML flow list or
  map (\`[ … ]\`, \`{ … }\`) quote the value: \`secrets: ["\${ACME_WEBHOOK_SECRET}"]\`.
- **Durations**: \`"500ms"\`, \`"5s"\`, \`"5m"\`, \`"2h"\`, \`"1d"\`, or a plain number of milliseconds.
- **Sizes**: \`"512b"\`, \`"64kb"\`, \`"1mb"\`, \`"1gb"\` (powers of 1024), or a plain number of bytes.
- **Booleans** are \`true\` or \`false\` (YAML's \`yes\`/\`no\` are refused rather than guessed).
- **Ids** (endpoints, subscriptions, sources, sinks) are letters, digits and \`. _ : -\`, unique within their list.
- **Secrets** (keys marked *secret* below, and endpoint headers whose names look like credentials) never appear
  in error messages, logs or \`hookyard validate\` output; they are shown as \`[redacted]\`.
- **Endpoint policies** default to Hookyard's built-in policy (retries close to the Standard Webhooks guidance:
  immediately, 5 s, 5 m, 30 m, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h, with 10% jitter); set only what differs.

This file is generated from the schemas by \`npm run docs\`; a test fails when it is out of date.
`;
