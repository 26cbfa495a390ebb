/**
 * Tekton Pipelines' own v1 CRD schemas at the version the operator installs (tests/fixtures/tekton,
 * scripts/derive-tekton-crds.js): what the build Task, Pipeline and PipelineRun are validated against.
 */
import { readFileSync } from "fs";
import { join } from "path";
import Ajv from "ajv";
import type { TektonDoc } from "../../platform/builds/pipeline";
import { CHARTS } from "../../versions";

/** Tekton Pipelines v1.15.0's own CRDs (scripts/derive-tekton-crds.js). */
export const tektonCrds = JSON.parse(readFileSync(join(__dirname, "..", "fixtures", "tekton", `pipeline-${CHARTS.tektonOperator.pipelinesVersion}-crds.json`), "utf8")) as {
  crds: { spec: { names: { kind: string }; versions: { name: string; schema: { openAPIV3Schema: object } }[] } }[];
};
export interface Schema {
  properties?: Record<string, Schema>;
  items?: Schema;
  additionalProperties?: Schema | boolean;
  "x-kubernetes-preserve-unknown-fields"?: boolean;
}
/**
 * The fields of `doc` the apiserver would drop without a word (structural pruning: a field its
 * schema does not declare, outside maps and preserve-unknown-fields): each must be none.
 */
export function pruned(doc: unknown, schema: Schema, at = ""): string[] {
  if (Array.isArray(doc)) return schema.items ? doc.flatMap((d, i) => pruned(d, schema.items as Schema, `${at}[${i}]`)) : [];
  if (typeof doc !== "object" || doc === null || schema["x-kubernetes-preserve-unknown-fields"]) return [];
  const out: string[] = [];
  for (const [k, v] of Object.entries(doc)) {
    const path = at ? `${at}.${k}` : k;
    if (at === "" && ["apiVersion", "kind", "metadata"].includes(k)) continue;
    const child = schema.properties?.[k] ?? (typeof schema.additionalProperties === "object" ? schema.additionalProperties : undefined);
    if (child) out.push(...pruned(v, child, path));
    else if (schema.additionalProperties !== true) out.push(path);
  }
  return out;
}

export function tektonSchema(kind: string): Schema {
  const crd = tektonCrds.crds.find((c) => c.spec.names.kind === kind);
  return crd?.spec.versions.find((v) => v.name === "v1")?.schema.openAPIV3Schema as Schema;
}

export function validateTekton(doc: TektonDoc): unknown[] {
  const crd = tektonCrds.crds.find((c) => c.spec.names.kind === doc.kind);
  const schema = crd?.spec.versions.find((v) => v.name === "v1")?.schema.openAPIV3Schema;
  if (!schema) throw new Error(`no v1 schema for ${doc.kind}`);
  const validate = new Ajv({ allErrors: true, strict: false, validateFormats: false }).compile(schema);
  return validate(doc) ? [] : (validate.errors ?? []);
}

