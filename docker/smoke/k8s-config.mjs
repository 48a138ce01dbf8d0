// Checks docker/k8s/ against the image (run by docker/smoke-test.sh on the host, with `yaml` from the repo):
// writes the ConfigMap's hookyard.yaml to OUT_CONFIG and the Secret's keys as KEY=VALUE lines to OUT_ENV (so the
// config can be validated inside the image with them), and fails when the Deployment contradicts the image or the
// config: probe paths, the config mount, the user id, and a termination grace period that must exceed preStop +
// server.shutdownGrace.
//   node k8s-config.mjs OUT_CONFIG OUT_ENV
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(new URL("../../package.json", import.meta.url));
const { parse } = require("yaml");
const [outConfig, outEnv] = process.argv.slice(2);
const read = (name) => parse(readFileSync(new URL(`../k8s/${name}`, import.meta.url), "utf8"));
const problems = [];
const expect = (condition, problem) => condition || problems.push(problem);

const configText = read("configmap.yaml").data["hookyard.yaml"];
writeFileSync(outConfig, configText);
const secret = read("secret.yaml").stringData;
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
const shutdownGrace = seconds(parse(configText).server?.shutdownGrace);
const pod = read("deployment.yaml").spec.template.spec;
const container = pod.containers[0];
const preStop = Number(container.lifecycle?.preStop?.exec?.command?.[1] ?? 0);
expect(
  pod.terminationGracePeriodSeconds > preStop + shutdownGrace,
  `terminationGracePeriodSeconds ${pod.terminationGracePeriodSeconds} <= preStop ${preStop}s + shutdownGrace ${shutdownGrace}s`,
);
expect(container.readinessProbe?.httpGet?.path === "/readyz", "the readiness probe must GET /readyz");
expect(container.livenessProbe?.httpGet?.path === "/healthz", "the liveness probe must GET /healthz");
expect(
  container.volumeMounts.some((mount) => mount.mountPath === "/etc/hookyard"),
  "the ConfigMap must be mounted at /etc/hookyard (the image reads /etc/hookyard/hookyard.yaml)",
);
expect(pod.securityContext?.runAsUser === 10001, "runAsUser must be the image's user, 10001");
expect(
  container.ports.some((port) => port.containerPort === 8080),
  "containerPort 8080 (HOOKYARD_PORT) must be declared",
);
if (problems.length > 0) {
  console.error(`docker/k8s: ${problems.join("; ")}`);
  process.exit(1);
}
