import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/**
 * Turns the Kubernetes API's OpenAPI (v2) document into the JSON schemas kubeconform reads, as the
 * kubernetes-json-schema project does ("standalone-strict"), for the kinds asked for only: one file per kind,
 * named as kubeconform's `{{ .ResourceKind }}{{ .KindSuffix }}.json` template names it (deployment-apps-v1.json,
 * service-v1.json), holding the kind's definition and every definition it references. Strict: an object with
 * declared properties refuses any other (a misspelt field fails), as `kubeconform -strict` expects.
 */
export function writeKubernetesSchemas(
  openApiFile: string,
  kinds: readonly { apiVersion: string; kind: string }[],
  dir: string,
): string {
  const document = JSON.parse(readFileSync(openApiFile, "utf8")) as { definitions: Record<string, Schema> };
  const byKind = new Map<string, string>();
  for (const [name, definition] of Object.entries(document.definitions)) {
    for (const gvk of definition["x-kubernetes-group-version-kind"] ?? []) {
      byKind.set(`${gvk.group === "" ? "" : `${gvk.group}/`}${gvk.version}/${gvk.kind}`, name);
    }
  }
  mkdirSync(dir, { recursive: true });
  for (const { apiVersion, kind } of kinds) {
    const name = byKind.get(`${apiVersion}/${kind}`);
    if (name === undefined) throw new Error(`the Kubernetes OpenAPI document has no ${apiVersion} ${kind}`);
    const definitions: Record<string, unknown> = {};
    collect(name, document.definitions, definitions);
    const root = definitions[name] as Record<string, unknown>;
    const schema = { $schema: "http://json-schema.org/draft-07/schema#", ...root, definitions };
    writeFileSync(join(dir, `${kind.toLowerCase()}${kindSuffix(apiVersion)}.json`), JSON.stringify(schema));
  }
  return join(dir, "{{ .ResourceKind }}{{ .KindSuffix }}.json");
}

/** kubeconform's KindSuffix: "-v1" for the core group, "-apps-v1", "-networking-v1" (first label of the group). */
function kindSuffix(apiVersion: string): string {
  const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion];
  return group === "" ? `-${version}` : `-${(group ?? "").split(".")[0]}-${version}`;
}

interface Schema {
  readonly type?: string | string[];
  readonly format?: string;
  readonly $ref?: string;
  readonly properties?: Record<string, Schema>;
  readonly additionalProperties?: Schema | boolean;
  readonly items?: Schema;
  readonly "x-kubernetes-group-version-kind"?: readonly { group: string; version: string; kind: string }[];
  readonly [key: string]: unknown;
}

const REF = "#/definitions/";

/** Converts `name` and, transitively, every definition it references into `into`. */
function collect(name: string, all: Record<string, Schema>, into: Record<string, unknown>): void {
  if (name in into) return;
  const definition = all[name];
  if (definition === undefined) throw new Error(`the OpenAPI document references a missing ${name}`);
  into[name] = {};
  into[name] = name.endsWith(".api.resource.Quantity")
    ? { oneOf: [{ type: "string" }, { type: "number" }] }
    : convert(definition, (ref) => collect(ref, all, into));
}

function convert(schema: Schema, reference: (name: string) => void): unknown {
  if (schema.$ref !== undefined) {
    reference(schema.$ref.slice(REF.length));
    return { $ref: schema.$ref };
  }
  // IntOrString and Quantity are strings in the document but numbers are as valid in a manifest (port: 8080,
  // cpu: 1), as the API server's own decoding accepts.
  if (schema.format === "int-or-string") return { oneOf: [{ type: "string" }, { type: "integer" }] };
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key.startsWith("x-kubernetes-")) continue;
    if (key === "properties" && value !== null && typeof value === "object") {
      out.properties = Object.fromEntries(
        Object.entries(value as Record<string, Schema>).map(([property, child]) => [
          property,
          convert(child, reference),
        ]),
      );
    } else if ((key === "items" || key === "additionalProperties") && typeof value === "object" && value !== null) {
      out[key] = convert(value as Schema, reference);
    } else {
      out[key] = value;
    }
  }
  if (schema.properties !== undefined && schema.additionalProperties === undefined) out.additionalProperties = false;
  return out;
}
