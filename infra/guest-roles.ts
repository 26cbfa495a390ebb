/**
 * The guest roles' secrets and their delivery: generates the passwords (FreeIPA admin and Directory
 * Manager, PostgreSQL's application role) and hands each Rocky VM its role fragments. Every password
 * stays a Pulumi secret from generation to the cloud-init disk that delivers it; only the VMs whose
 * fragments carry one get a secret user-data (the others stay reviewable in a preview).
 */
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { RoleSettings } from "../config/roles";
import { Topology, VmSpec, vmsWithRole } from "../config/topology";
import { CloudConfigFragment } from "./cloudinit";
import { BASTION_FILES } from "./roles/bastion";
import { RoleSecrets, roleFragments, secretsUsedBy } from "./roles";

export interface GuestRolesArgs {
  topology: Topology;
  settings: RoleSettings;
}

/**
 * Letters and digits only: the passwords pass through shell, psql and the IPA installer, and 32 of
 * them carry about 190 bits.
 */
function password(name: string, parent: pulumi.Resource): pulumi.Output<string> {
  const generated = new random.RandomPassword(
    name,
    { length: 32, special: false, minLower: 2, minUpper: 2, minNumeric: 2 },
    { parent },
  );
  // The provider marks `result` secret; wrapping it keeps it secret whatever engine runs this (mocks too).
  return pulumi.secret(generated.result);
}

export class GuestRoles extends pulumi.ComponentResource {
  /** Password of the FreeIPA `admin` user (secret); undefined without a FreeIPA VM. */
  readonly freeipaAdminPassword?: pulumi.Output<string>;
  /** Password of FreeIPA's `cn=Directory Manager` (secret). */
  readonly freeipaDirectoryManagerPassword?: pulumi.Output<string>;
  /** Password of the PostgreSQL application role (secret); undefined without a PostgreSQL VM. */
  readonly postgresPassword?: pulumi.Output<string>;

  private readonly baseName: string;
  private readonly topology: Topology;
  private readonly settings: RoleSettings;
  private readonly secrets: Record<keyof RoleSecrets, pulumi.Output<string> | undefined>;

  constructor(name: string, args: GuestRolesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("flatcarmicrocloud:infra:GuestRoles", name, {}, opts);
    this.baseName = name;
    this.topology = args.topology;
    this.settings = args.settings;
    const has = (role: "freeipa" | "postgresql") => vmsWithRole(args.topology, role).length > 0;
    if (has("freeipa")) {
      this.freeipaAdminPassword = password(`${name}-freeipa-admin`, this);
      this.freeipaDirectoryManagerPassword = password(`${name}-freeipa-directory-manager`, this);
    }
    if (has("postgresql")) this.postgresPassword = password(`${name}-postgres-app`, this);
    this.secrets = {
      freeipaAdminPassword: this.freeipaAdminPassword,
      freeipaDirectoryManagerPassword: this.freeipaDirectoryManagerPassword,
      postgresPassword: this.postgresPassword,
    };
    this.registerOutputs({
      freeipaAdminPassword: this.freeipaAdminPassword,
      freeipaDirectoryManagerPassword: this.freeipaDirectoryManagerPassword,
      postgresPassword: this.postgresPassword,
    });
  }

  /**
   * The role fragments of `vm`, for renderRockyUserData. Secret exactly when they carry a password;
   * anything built from them with `apply` (the user-data, the cloud-init disk) stays secret.
   */
  fragmentsFor(vm: VmSpec): pulumi.Output<CloudConfigFragment[]> {
    const used = secretsUsedBy(vm);
    const inputs: Record<string, pulumi.Output<string>> = {};
    for (const key of used) {
      const value = this.secrets[key];
      if (!value) throw new Error(`GuestRoles: ${vm.name} needs ${key}, which was not generated`);
      inputs[key] = value;
    }
    const fragments = pulumi
      .all(inputs)
      .apply((plain) => roleFragments(vm, this.topology, this.settings, plain as RoleSecrets));
    return used.length > 0 ? pulumi.secret(fragments) : fragments;
  }

  /**
   * The WireGuard public key of a bastion, read once its first boot finished. `bastionReady` changes
   * when the bastion is replaced (e.g. its domain id), which reads the new key; `connection` comes
   * from stage 2's SSH helper (through the jump host or not).
   */
  readWireguardPublicKey(
    bastionReady: pulumi.Input<string>,
    connection: pulumi.Input<command.types.input.remote.ConnectionArgs>,
    bastionName: string | undefined = vmsWithRole(this.topology, "bastion")[0]?.name,
  ): pulumi.Output<string> {
    if (!bastionName) throw new Error("GuestRoles: the topology has no bastion VM");
    // `cloud-init status --wait` exits non-zero on recoverable errors too (cloud-init >= 23.4);
    // the key file existing is what matters, and `test -s` checks it.
    const read = new command.remote.Command(
      `${this.baseName}-${bastionName}-wireguard-public-key`,
      {
        connection,
        create: `sudo cloud-init status --wait >/dev/null || true; sudo test -s ${BASTION_FILES.wireguardPublicKey} && sudo cat ${BASTION_FILES.wireguardPublicKey}`,
        triggers: [bastionReady],
      },
      { parent: this },
    );
    return read.stdout.apply((key) => key.trim());
  }
}
