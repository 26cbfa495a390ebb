/**
 * CRDs of the charts that ship them in `crds/` (Traefik, Strimzi, kube-prometheus-stack). Helm
 * installs those files once, on a release's first install, and never upgrades them: a chart bump
 * would run the new operator on the old CRDs. So the program applies each pinned chart's CRDs itself,
 * before its release, on every run (server-side apply, forced, owned by the program), and the release
 * skips them (`skipCrds`), so Helm and the program never both write them.
 *
 * The manifests are derived from the pinned chart archives into `platform/crds/<key>-<version>.json`
 * (scripts/derive-chart-crds.js, from the same archive Helm pulls) and committed: a bump of CHARTS
 * without re-deriving stops the program here, naming the command. cert-manager's and Rook's charts
 * render their CRDs as templates, which Helm upgrades with the release: they are not listed.
 * snapshot-controller renders its CRDs from a file too (crds.yaml), but only while the stack backs up
 * its volumes: uninstalling it (backups turned off) would delete every VolumeSnapshot with its CRDs,
 * so the program applies that file like a crds/ folder (scripts/derive-chart-crds.js TEMPLATED_CRDS)
 * and the release turns the template off (`installCRDs: false`). Velero's and the VPA's crds/ are
 * applied likewise,
 * and so is tekton-operator's templates/kubernetes-crds.yaml (its chart warns that `installCRDs`
 * cascades a deletion of every Tekton object on uninstall).
 */
import * as fs from "fs";
import * as path from "path";
import { CHARTS } from "../versions";
import type { ChartKey } from "./releases";

/** The pinned charts with CRDs in `crds/` (a test holds this list to the archives). */
export const CHARTS_WITH_CRDS = ["traefik", "strimzi", "kubePrometheusStack", "velero", "snapshotController", "tektonOperator", "vpa"] as const satisfies readonly ChartKey[];
export type ChartWithCrds = (typeof CHARTS_WITH_CRDS)[number];

export const CRD_MANIFEST_DIR = path.join(__dirname, "crds");

export interface CrdDoc {
  apiVersion: "apiextensions.k8s.io/v1";
  kind: "CustomResourceDefinition";
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: Record<string, unknown>;
}

export interface CrdManifest {
  /** The chart's name in its repository, and the version the CRDs come from. */
  chart: string;
  version: string;
  archive: { file: string; sha256: string };
  files: { path: string; sha256: string }[];
  crds: CrdDoc[];
}

export function hasCrds(key: ChartKey): key is ChartWithCrds {
  return (CHARTS_WITH_CRDS as readonly ChartKey[]).includes(key);
}

/** The committed manifest of `key` at `version` (the pinned one by default). */
export function loadCrdManifest(key: ChartWithCrds, version: string = CHARTS[key].version, dir: string = CRD_MANIFEST_DIR): CrdManifest {
  const file = path.join(dir, `${key}-${version}.json`);
  if (!fs.existsSync(file)) {
    throw new Error(
      `CRDs of chart ${key} ${version} (versions.ts CHARTS) are not derived: run \`node scripts/derive-chart-crds.js <dir with the chart archives>\` ` +
        `(it prints the helm pull commands for missing archives) and commit ${path.relative(path.join(__dirname, ".."), file)}`,
    );
  }
  const manifest = JSON.parse(fs.readFileSync(file, "utf8")) as CrdManifest;
  if (manifest.version !== version) throw new Error(`${file} holds the CRDs of ${manifest.chart} ${manifest.version}, not ${version}: re-derive it`);
  return manifest;
}

/**
 * What the program sends for one CRD (a `CustomResourceDefinitionPatch`: the provider applies
 * it with server-side apply, creating the CRD or updating it). `pulumi.com/patchForce` takes over
 * the fields Helm wrote when it installed the chart on a stack deployed before the program applied
 * CRDs (Helm's manager holds them; without force the first changed field is a conflict).
 */
export function crdPatchArgs(crd: CrdDoc): { metadata: CrdDoc["metadata"]; spec: CrdDoc["spec"] } {
  return {
    metadata: { ...crd.metadata, annotations: { ...(crd.metadata.annotations ?? {}), "pulumi.com/patchForce": "true" } },
    spec: crd.spec,
  };
}
