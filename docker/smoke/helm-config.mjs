// Checks the Helm chart's rendered manifests against the image (run by docker/smoke-test.sh on the host, with
// `yaml` from the repo): writes the ConfigMap's hookyard.yaml to OUT_CONFIG and the chart-made Secret's keys as
// KEY=VALUE lines to OUT_ENV (so the config can be validated inside the image with them), and fails when the
// Deployment contradicts the image or the config: probe paths, the config mount, the user id, the listeners'
// ports, and a termination grace period that must exceed preStop + server.shutdownGrace.
// (test/e2e/src/helm-chart.test.ts checks the same on every test run, without the image.)
//   helm template hookyard deploy/helm/hookyard -f deploy/helm/hookyard/ci/full-values.yaml > RENDERED
//   node helm-config.mjs RENDERED OUT_CONFIG OUT_ENV
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(new URL("../../package.json", import.meta.url));
const { parseAllDocuments, parse } = require("yaml");
const [rendered, outConfig, outEnv] = process.argv.slice(2);
const manifests = parseAllDocuments(readFileSync(rendered, "utf8"))
  .map((document) => document.toJS())
  .filter(Boolean);
const find = (kind) => manifests.find((manifest) => manifest.kind === kind);
const problems = [];
const expect = (condition, problem) => condition || problems.push(problem);

const configText = find("ConfigMap").data["hookyard.yaml"];
writeFileSync(outConfig, configText);
const secret = find("Secret")?.stringData ?? {};
writeFileSync(
  outEnv,
  Object.entries(secret)
    .map(([key, value]) => `${key}=${value}\n`)
    .join(""),
);

const seconds = (duration) => {
  const match = /^(\d+)(ms|s|m)?$/.exec(String(duration ?? "30s"));
  if (!match) return Number.NaN;
  return Number(match[1]) / { ms: 1000, s: 1, m: 1 / 60 }[match[2] ?? "ms"];
};
const server = parse(configText).server ?? {};
const pod = find("Deployment").spec.template.spec;
const container = pod.containers[0];
const port = (name) => container.ports.find((item) => item.name === name)?.containerPort;
const preStop = Number(container.lifecycle?.preStop?.exec?.command?.[1] ?? 0);
expect(
  pod.terminationGracePeriodSeconds > preStop + seconds(server.shutdownGrace),
  `terminationGracePeriodSeconds ${pod.terminationGracePeriodSeconds} <= preStop ${preStop}s + shutdownGrace ${server.shutdownGrace}`,
);
expect(container.readinessProbe?.httpGet?.path === "/readyz", "the readiness probe must GET /readyz");
expect(container.livenessProbe?.httpGet?.path === "/healthz", "the liveness probe must GET /healthz");
expect(
  container.volumeMounts.some((mount) => mount.mountPath === "/etc/hookyard"),
  "the ConfigMap must be mounted at /etc/hookyard (the image reads /etc/hookyard/hookyard.yaml)",
);
expect(pod.securityContext?.runAsUser === 10001, "runAsUser must be the image's user, 10001");
expect(server.host === "0.0.0.0" && server.port === port("http"), "server.port must be the http containerPort");
expect(server.internal?.port === port("internal"), "server.internal.port must be the internal containerPort");
const hookyardPort = container.env.find((item) => item.name === "HOOKYARD_PORT")?.value;
expect(Number(hookyardPort) === port("http"), "HOOKYARD_PORT (the image's HEALTHCHECK) must be the public port");
if (problems.length > 0) {
  console.error(`deploy/helm/hookyard: ${problems.join("; ")}`);
  process.exit(1);
}
