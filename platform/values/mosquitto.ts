/**
 * Eclipse Mosquitto (helmforge chart): one broker, anonymous access off, retained messages and
 * sessions on a `ceph-block` volume, reachable inside the cluster on its Service and, for clients
 * outside it, through the load balancer's MQTT listener on the VM networks (never the LAN: MQTT is
 * plain text). Two users (mqtt-users.ts): the apps' and the outside clients', with an ACL.
 *
 * The chart's `auth` knows one user: its init container writes a password file of `auth.username`
 * only, which `mosquitto.conf` names (`password_file`, which Mosquitto refuses to see twice). So the
 * chart keeps writing that file (from `MOSQUITTO_SECRET`, the apps' credentials), and the broker
 * container mounts the platform's own file of both users over it (`MOSQUITTO_USERS_SECRET`, subPath:
 * a plain file, which Mosquitto 2.1 requires of secrets). Should that mount ever be missing, the
 * broker sees the chart's file: the apps still connect, the outside clients do not (it fails closed).
 */
import { INGRESS } from "../../ports";
import { Workload } from "../capacity";
import { NAMESPACES } from "../namespaces";
import { Resources } from "../resources";
import { SIZING } from "../sizing";
import { MQTT_APPS_USER, mosquittoAcl } from "../mqtt-users";
import { STORAGE_CLASS } from "./rook";

export const MOSQUITTO_RELEASE = "mosquitto";
/** Secret with `username` and `password`; the chart's init container turns it into the password file. */
export const MOSQUITTO_SECRET = "mosquitto-auth";
export const MOSQUITTO_USER = MQTT_APPS_USER;
/** Secret with `passwordfile`: every user, hashed (mqtt-users.ts `mosquittoPasswordFile`). */
export const MOSQUITTO_USERS_SECRET = "mosquitto-users";
export const MOSQUITTO_USERS_KEY = "passwordfile";
/** Where the chart's mosquitto.conf reads the password file (`password_file`, templates/configmap.yaml). */
const CHART_PASSWORD_FILE = "/mosquitto/config/generated/passwordfile";
/** Pod annotation carrying the password file's digest: a changed password restarts the broker. */
export const MOSQUITTO_USERS_CHECKSUM = "checksum/users";
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
  /** The chart writes `rules` to the acl_file mosquitto.conf names. */
  acl: { enabled: boolean; rules: string };
  /** The platform's password file of every user, over the chart's (see above). */
  extraVolumes: { name: string; secret: { secretName: string; defaultMode: number; items: { key: string; path: string }[] } }[];
  extraVolumeMounts: { name: string; mountPath: string; subPath: string; readOnly: boolean }[];
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
    acl: { enabled: true, rules: mosquittoAcl() },
    extraVolumes: [
      {
        name: "users",
        // Owner root, group mosquitto (fsGroup), no access for others.
        secret: { secretName: MOSQUITTO_USERS_SECRET, defaultMode: 0o440, items: [{ key: MOSQUITTO_USERS_KEY, path: MOSQUITTO_USERS_KEY }] },
      },
    ],
    extraVolumeMounts: [{ name: "users", mountPath: CHART_PASSWORD_FILE, subPath: MOSQUITTO_USERS_KEY, readOnly: true }],
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
