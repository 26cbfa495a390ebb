/**
 * Eclipse Mosquitto (helmforge chart): one broker, anonymous access off, the password from a
 * generated Secret, retained messages and sessions on a `ceph-block` volume, reachable inside the
 * cluster on its Service and from outside through the load balancer on the fixed MQTT NodePort.
 */
import { INGRESS } from "../../ports";
import { Workload } from "../capacity";
import { NAMESPACES } from "../namespaces";
import { Resources } from "../resources";
import { SIZING } from "../sizing";
import { STORAGE_CLASS } from "./rook";

export const MOSQUITTO_RELEASE = "mosquitto";
/** Secret with `username` and `password`; the chart's init container turns it into the password file. */
export const MOSQUITTO_SECRET = "mosquitto-auth";
export const MOSQUITTO_USER = "mqtt";
/** The image's `mosquitto` user: the password file and the data volume belong to it. */
const MOSQUITTO_UID = 1883;

export interface MosquittoValues {
  architecture: { mode: "standalone" };
  broker: {
    replicaCount: number;
    listeners: { mqtt: number; websocketEnabled: boolean };
    persistence: { enabled: boolean; storageClass: string; accessMode: string; size: string };
  };
  auth: {
    enabled: boolean;
    username: string;
    existingSecret: string;
    existingSecretUsernameKey: string;
    existingSecretPasswordKey: string;
  };
  service: { type: "NodePort" | "LoadBalancer"; mqttPort: number; mqttNodePort: number; externalTrafficPolicy: "Cluster" };
  /** One replica: a PodDisruptionBudget of minAvailable 1 would block every node drain. */
  pdb: { enabled: boolean };
  resources: Resources;
  podSecurityContext: Record<string, unknown>;
  securityContext: Record<string, unknown>;
}

export function mosquittoValues(serviceType: "NodePort" | "LoadBalancer" = "NodePort"): MosquittoValues {
  return {
    architecture: { mode: "standalone" },
    broker: {
      replicaCount: 1,
      listeners: { mqtt: INGRESS.mqtt.publicPort, websocketEnabled: false },
      persistence: { enabled: true, storageClass: STORAGE_CLASS, accessMode: "ReadWriteOnce", size: "2Gi" },
    },
    auth: {
      enabled: true,
      username: MOSQUITTO_USER,
      existingSecret: MOSQUITTO_SECRET,
      existingSecretUsernameKey: "username",
      existingSecretPasswordKey: "password",
    },
    service: { type: serviceType, mqttPort: INGRESS.mqtt.publicPort, mqttNodePort: INGRESS.mqtt.nodePort, externalTrafficPolicy: "Cluster" },
    pdb: { enabled: false },
    resources: SIZING.mosquitto,
    // Pod level, so the init container that writes the password file runs as the same non-root user.
    podSecurityContext: {
      runAsNonRoot: true,
      runAsUser: MOSQUITTO_UID,
      runAsGroup: MOSQUITTO_UID,
      fsGroup: MOSQUITTO_UID,
      seccompProfile: { type: "RuntimeDefault" },
    },
    securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] }, readOnlyRootFilesystem: true },
  };
}

export function mosquittoWorkloads(v: MosquittoValues): Workload[] {
  return [{ release: MOSQUITTO_RELEASE, name: "mosquitto", kind: "StatefulSet", replicas: v.broker.replicaCount, containers: [{ name: "mosquitto", resources: v.resources }] }];
}

export function mqttInternalEndpoint(): string {
  return `mqtt://${MOSQUITTO_RELEASE}.${NAMESPACES.mosquitto.name}.svc.cluster.local:${INGRESS.mqtt.publicPort}`;
}
