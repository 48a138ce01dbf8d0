import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { promisify } from "node:util";
import { scratchDir } from "@hookyard/test-brokers";
import { parse, parseAllDocuments } from "yaml";
import { repoRoot, runHookyard } from "./hookyard-process.js";
import { writeKubernetesSchemas } from "./kubernetes-schemas.js";

const exec = promisify(execFile);
const CHART = join(repoRoot, "deploy/helm/hookyard");
const FULL_VALUES = join(CHART, "ci/full-values.yaml");

interface Tools {
  readonly helm: string;
  readonly kubeconform: string;
  readonly openApi: string;
}

// biome-ignore lint/suspicious/noExplicitAny: rendered manifests are free-form YAML, read field by field below
type Manifest = any;

/**
 * helm, kubeconform and the Kubernetes OpenAPI document, built/fetched once and cached by the project's script
 * (`npm test` runs it before the tests). `--check`: a cold build takes minutes, longer than a test may run, so
 * without the cache this fails at once saying what to run, rather than in the runner's bare "test timed out".
 */
async function k8sTools(): Promise<Tools> {
  try {
    const { stdout } = await exec(join(repoRoot, "scripts/install-k8s-tools.sh"), ["--check"], {
      maxBuffer: 1 << 20,
    });
    const vars = new Map(
      stdout
        .trim()
        .split("\n")
        .map((line) => line.split("=", 2) as [string, string]),
    );
    const path = (name: string) => {
      const value = vars.get(name);
      if (value === undefined) throw new Error(`scripts/install-k8s-tools.sh printed no ${name}`);
      return value;
    };
    return {
      helm: path("HOOKYARD_HELM"),
      kubeconform: path("HOOKYARD_KUBECONFORM"),
      openApi: path("HOOKYARD_K8S_OPENAPI"),
    };
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? String(error);
    throw new Error(`scripts/install-k8s-tools.sh --check failed:\n${stderr}`);
  }
}

async function render(tools: Tools, values: string[] = []): Promise<{ text: string; manifests: Manifest[] }> {
  const args = ["template", "hookyard", CHART, "--namespace", "hooks", ...values.flatMap((file) => ["-f", file])];
  const { stdout } = await exec(tools.helm, args, { maxBuffer: 16 << 20 });
  const manifests = parseAllDocuments(stdout)
    .map((document) => document.toJS() as Manifest)
    .filter((manifest) => manifest !== null);
  return { text: stdout, manifests };
}

async function kubeconform(tools: Tools, manifests: string, kinds: Manifest[]) {
  const dir = scratchDir("hookyard-kubeconform");
  const location = writeKubernetesSchemas(tools.openApi, kinds, join(dir, "schemas"));
  const file = join(dir, "manifests.yaml");
  writeFileSync(file, manifests);
  const args = ["-strict", "-summary", "-output", "json", "-schema-location", location, file];
  const result = await exec(tools.kubeconform, args).then(
    ({ stdout }) => ({ code: 0, stdout }),
    (error: { code: number; stdout: string }) => ({ code: error.code, stdout: error.stdout }),
  );
  return { code: result.code, report: JSON.parse(result.stdout) as KubeconformReport };
}

interface KubeconformReport {
  readonly resources: readonly { kind: string; status: string; msg: string }[];
  readonly summary: { valid: number; invalid: number; errors: number; skipped: number };
}

const find = (manifests: Manifest[], kind: string, name?: string): Manifest => {
  const found = manifests.find((item) => item.kind === kind && (name === undefined || item.metadata.name === name));
  assert.ok(found, `a ${kind}${name ? ` ${name}` : ""} is rendered`);
  return found;
};

describe("the Helm chart (deploy/helm/hookyard)", () => {
  let tools: Tools;
  before(async () => {
    tools = await k8sTools();
  });

  it("passes helm lint --strict with its default values and with every optional part on", async () => {
    for (const values of [[], ["-f", FULL_VALUES]]) {
      const { stdout } = await exec(tools.helm, ["lint", "--strict", CHART, ...values]);
      assert.match(stdout, /1 chart\(s\) linted, 0 chart\(s\) failed/);
    }
  });

  it("refuses values it does not know and listeners on one port, naming the problem", async () => {
    const template = (...set: string[]) =>
      exec(tools.helm, ["template", "hookyard", CHART, ...set.flatMap((value) => ["--set", value])]).then(
        () => "",
        (error: { stderr: string }) => error.stderr,
      );
    assert.match(await template("replicas=3"), /replicas/, "a misspelt key (replicaCount) is refused");
    assert.match(await template("ports.public=80x"), /ports/);
    assert.match(await template("ports.internal=8080"), /ports\.public and ports\.internal must differ/);
    assert.equal(await template("replicaCount=5"), "", "a known key is accepted");
  });

  it("renders manifests that kubeconform validates against the Kubernetes API's schemas", async () => {
    for (const values of [[], [FULL_VALUES]]) {
      const { text, manifests } = await render(tools, values);
      const { code, report } = await kubeconform(tools, text, manifests);
      const problems = report.resources.filter((resource) => resource.status !== "statusValid");
      assert.equal(code, 0, JSON.stringify(problems, null, 2));
      assert.deepEqual(report.summary, { valid: manifests.length, invalid: 0, errors: 0, skipped: 0 });
    }
    const { manifests } = await render(tools, [FULL_VALUES]);
    const kinds = manifests.map((manifest) => manifest.kind).sort();
    assert.deepEqual(kinds, [
      "ConfigMap",
      "Deployment",
      "HorizontalPodAutoscaler",
      "Ingress",
      "PodDisruptionBudget",
      "Secret",
      "Service",
      "Service",
      "ServiceAccount",
    ]);
  });

  it("kubeconform with these schemas refuses a misspelt field and a wrong type (the check can fail)", async () => {
    const { manifests } = await render(tools);
    const deployment = find(manifests, "Deployment");
    deployment.spec.template.spec.containers[0].readinessProbe.httpGet.paht = "/readyz";
    deployment.spec.replicas = "three";
    const text = manifests.map((manifest) => `---\n${JSON.stringify(manifest)}\n`).join("");
    const { code, report } = await kubeconform(tools, text, manifests);
    assert.equal(code, 1);
    assert.equal(report.summary.invalid, 1);
    const message = report.resources.find((resource) => resource.kind === "Deployment")?.msg ?? "";
    assert.match(message, /paht/);
    assert.match(message, /replicas/);
  });

  it("agrees with the image and the config: listeners, probes, user, grace period, Services", async () => {
    const { manifests } = await render(tools, [FULL_VALUES]);
    const config = parse(find(manifests, "ConfigMap").data["hookyard.yaml"]);
    const pod = find(manifests, "Deployment").spec.template.spec;
    const [container] = pod.containers;
    const port = (name: string) => container.ports.find((item: Manifest) => item.name === name)?.containerPort;
    assert.deepEqual(config.server, {
      host: "0.0.0.0",
      port: port("http"),
      internal: { host: "0.0.0.0", port: port("internal") },
      shutdownGrace: "30s",
    });
    assert.deepEqual(container.readinessProbe.httpGet, { path: "/readyz", port: "http" });
    assert.deepEqual(container.livenessProbe.httpGet, { path: "/healthz", port: "http" });
    assert.equal(container.volumeMounts.find((mount: Manifest) => mount.name === "config").mountPath, "/etc/hookyard");
    assert.equal(pod.securityContext.runAsUser, 10001, "the image's user");
    assert.equal(pod.securityContext.runAsNonRoot, true);
    assert.equal(container.securityContext.readOnlyRootFilesystem, true);
    const preStop = Number(container.lifecycle.preStop.exec.command[1]);
    assert.ok(pod.terminationGracePeriodSeconds > preStop + 30, "SIGKILL only after preStop + shutdownGrace");
    assert.equal(find(manifests, "Service", "hookyard").spec.ports[0].targetPort, "http");
    assert.equal(find(manifests, "Service", "hookyard-internal").spec.ports[0].targetPort, "internal");
    const ingress = find(manifests, "Ingress");
    assert.equal(ingress.spec.rules[0].http.paths[0].backend.service.name, "hookyard", "only the public Service");
    assert.equal(
      find(manifests, "Deployment").spec.template.metadata.annotations["prometheus.io/port"],
      String(port("internal")),
    );
  });

  it("its ConfigMap passes hookyard validate with the Secret's variables", async () => {
    for (const values of [[], [FULL_VALUES]]) {
      const { manifests } = await render(tools, values);
      const dir = scratchDir("hookyard-chart-config");
      const file = join(dir, "hookyard.yaml");
      writeFileSync(file, find(manifests, "ConfigMap").data["hookyard.yaml"]);
      const secret = manifests.find((manifest) => manifest.kind === "Secret")?.stringData ?? {};
      const env = {
        REDIS_URL: "redis://redis.hooks.svc:6379",
        HOOKYARD_INGEST_KEY: "chart-ingest-key-0123456789abcdef",
        HOOKYARD_ADMIN_KEY: "chart-admin-key-0123456789abcdef",
        STRIPE_WEBHOOK_SECRET: "whsec_c3RyaXBlLXNpZ25pbmctc2VjcmV0",
        ...secret,
      };
      const hookyard = runHookyard(["validate", "-q", "-c", file], env);
      const { code } = await hookyard.exited;
      assert.equal(code, 0, hookyard.stderr());
    }
  });
});
