/**
 * The hand-written local SDK in sdks/libvirt (`@pulumi/libvirt`, the shape `pulumi package add
 * terraform-provider registry.opentofu.org/dmacvicar/libvirt 0.8.3` generates) against the property
 * lists in tests/fixtures/libvirt-schema-properties.json (derived by scripts/derive-libvirt-fixture.js from
 * the real schema: the dynamic bridge 1.1.3 parameterized with dmacvicar/libvirt 0.8.3, `npm run
 * lab:schema -- --derive` with the toolchain of `npm run lab:build`).
 *
 * Two independent views of the built package (`npx tsc -p sdks/libvirt`, run by `postinstall`):
 *  - runtime: every class is constructed under the mock engine with every fixture input set to a
 *    per-property marker; the request the engine receives (type, inputs, provider, package reference)
 *    and the outputs the resource object exposes are compared with the fixture;
 *  - declarations: the emitted .d.ts files are parsed with the TypeScript compiler API and the members
 *    of each class, `XxxArgs`, `XxxState` and nested input/output type are compared with the fixture.
 */
import * as fs from "fs";
import * as path from "path";
import * as ts from "typescript";
import * as pulumi from "@pulumi/pulumi";

type Libvirt = typeof import("@pulumi/libvirt");

interface PropLists {
  inputs: string[];
  requiredInputs: string[];
  outputs: string[];
  requiredOutputs: string[];
  stateInputs?: string[];
}
interface Fixture {
  provider: PropLists & { token: string };
  resources: Record<string, PropLists & { schemaToken: string }>;
  types: Record<string, { properties: string[]; required: string[]; requiredOutputs: string[] }>;
}

const fixture: Fixture = JSON.parse(
  fs.readFileSync(path.join(__dirname, "fixtures", "libvirt-schema-properties.json"), "utf8"),
);
const sdkDir = path.dirname(require.resolve("@pulumi/libvirt/package.json"));
if (!fs.existsSync(path.join(sdkDir, "bin", "index.js"))) {
  throw new Error(`@pulumi/libvirt is not built: run \`npx tsc -p sdks/libvirt\` (npm install does it in postinstall)`);
}
const sdkPackageJson = JSON.parse(fs.readFileSync(path.join(sdkDir, "package.json"), "utf8"));
const tokens = Object.keys(fixture.resources).sort();

const EXPECTED_PARAMETER = { remote: { url: "registry.opentofu.org/dmacvicar/libvirt", version: "0.8.3" } };

/** "libvirt:index/cloudinitDisk:CloudinitDisk" -> { module: "cloudinitDisk", cls: "CloudinitDisk" } */
function splitToken(token: string): { module: string; cls: string } {
  const m = /^libvirt:index\/([a-z][A-Za-z0-9]*):([A-Z][A-Za-z0-9]*)$/.exec(token);
  if (!m) throw new Error(`unexpected token ${token}`);
  return { module: m[1], cls: m[2] };
}

const sorted = (xs: Iterable<string>): string[] => [...xs].sort();
const marker = (cls: string, prop: string): string => `marker:${cls}.${prop}`;
function markers(cls: string, props: string[]): Record<string, string> {
  return Object.fromEntries(props.map((p) => [p, marker(cls, p)]));
}

function resolved<T>(o: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => o.apply((v) => resolve(v)));
}

describe("package.json of @pulumi/libvirt", () => {
  it("is the parameterized terraform-provider package for dmacvicar/libvirt 0.8.3", () => {
    expect(sdkPackageJson).toMatchObject({
      name: "@pulumi/libvirt",
      version: "0.8.3",
      main: "bin/index.js",
      types: "bin/index.d.ts",
    });
    const { value, ...parameterization } = sdkPackageJson.pulumi.parameterization;
    expect({ ...sdkPackageJson.pulumi, parameterization }).toEqual({
      resource: true,
      name: "terraform-provider",
      version: "1.1.3",
      parameterization: { name: "libvirt", version: "0.8.3" },
    });
    expect(Buffer.from(value, "base64").toString("base64")).toBe(value);
    expect(JSON.parse(Buffer.from(value, "base64").toString("utf8"))).toEqual(EXPECTED_PARAMETER);
  });
});

/** The parts of the protobuf requests (and of the mock monitor) the test reads. */
type Callback = (err: unknown, resp: unknown) => void;
interface ResourceRequest {
  getType(): string;
  getName(): string;
  getPackageref(): string;
  getVersion(): string;
}
interface PackageRequest {
  getName(): string;
  getVersion(): string;
  getParameterization(): { getName(): string; getVersion(): string; getValue_asU8(): Uint8Array };
}
interface MonitorMethods {
  registerResource(req: ResourceRequest, cb: Callback): unknown;
  readResource(req: ResourceRequest, cb: Callback): unknown;
  registerPackage(req: PackageRequest, cb: Callback): unknown;
}

describe("@pulumi/libvirt under the mock engine", () => {
  interface Seen {
    args: pulumi.runtime.MockResourceArgs;
    packageRef?: string;
    version?: string;
  }
  const seen: Seen[] = [];
  const packageRequests: { name: string; version: string; param: { name: string; version: string; value: string } }[] =
    [];
  let libvirt: Libvirt;
  let provider: pulumi.ProviderResource;
  let providerUrn: string;
  const created = new Map<string, pulumi.CustomResource>();
  const read = new Map<string, pulumi.CustomResource>();

  const find = (type: string, name: string): Seen => {
    const hits = seen.filter((s) => s.args.type === type && s.args.name === name);
    expect(hits).toHaveLength(1);
    return hits[0];
  };

  beforeAll(async () => {
    await pulumi.runtime.setMocks(
      {
        newResource: (args) => {
          seen.push({ args });
          // Echo the inputs as state: the resource object can only expose what its inputs bag declared.
          return { id: args.id || `${args.name}-id`, state: args.inputs };
        },
        call: (args) => args.inputs,
      },
      "libvirtsdk",
      "test",
      false,
    );
    // The mock monitor drops the package reference and the RegisterPackage request before the mocks
    // see them; record both from the requests.
    const monitor = pulumi.runtime.getMonitor() as unknown as MonitorMethods;
    for (const method of ["registerResource", "readResource"] as const) {
      const orig = monitor[method].bind(monitor);
      monitor[method] = (req: ResourceRequest, cb: Callback) =>
        orig(req, (err: unknown, resp: unknown) => {
          const hit = seen.filter((s) => s.args.type === req.getType() && s.args.name === req.getName()).pop();
          if (hit) {
            hit.packageRef = req.getPackageref();
            hit.version = req.getVersion();
          }
          cb(err, resp);
        });
    }
    const origRegisterPackage = monitor.registerPackage.bind(monitor);
    monitor.registerPackage = (req: PackageRequest, cb: Callback) => {
      const p = req.getParameterization();
      packageRequests.push({
        name: req.getName(),
        version: req.getVersion(),
        param: { name: p.getName(), version: p.getVersion(), value: Buffer.from(p.getValue_asU8()).toString("utf8") },
      });
      return origRegisterPackage(req, cb);
    };

    libvirt = await import("@pulumi/libvirt");
    provider = new libvirt.Provider("kvm", markers("Provider", fixture.provider.inputs) as unknown as import("@pulumi/libvirt").ProviderArgs);
    providerUrn = await resolved(provider.urn);
    for (const token of tokens) {
      const { cls } = splitToken(token);
      const Ctor = (libvirt as unknown as Record<string, new (...a: unknown[]) => pulumi.CustomResource>)[cls];
      const res = new Ctor(`c-${cls}`, markers(cls, fixture.resources[token].inputs), { provider });
      created.set(token, res);
      const get = (Ctor as unknown as { get: (...a: unknown[]) => pulumi.CustomResource }).get;
      read.set(token, get(`r-${cls}`, `${cls}-existing`, markers(cls, fixture.resources[token].outputs), { provider }));
    }
    await Promise.all([...created.values(), ...read.values()].map((r) => resolved(r.urn)));
    await Promise.all([...created.values(), ...read.values()].map((r) => resolved(r.id)));
  });

  it("exports one class per fixture resource plus Provider", () => {
    const classes = Object.keys(libvirt).filter((k) => typeof (libvirt as Record<string, unknown>)[k] === "function");
    expect(sorted(classes)).toEqual(sorted(["Provider", ...tokens.map((t) => splitToken(t).cls)]));
  });

  it("registers the parameterized package once, as package.json declares", () => {
    const { value, ...param } = sdkPackageJson.pulumi.parameterization;
    expect(packageRequests).toEqual([
      {
        name: sdkPackageJson.pulumi.name,
        version: sdkPackageJson.pulumi.version,
        param: { ...param, value: Buffer.from(value, "base64").toString("utf8") },
      },
    ]);
    expect(JSON.parse(packageRequests[0].param.value)).toEqual(EXPECTED_PARAMETER);
  });

  it("the provider is pulumi:providers:libvirt and sends its inputs", async () => {
    const s = find("pulumi:providers:libvirt", "kvm");
    expect(fixture.provider.token).toBe("pulumi:providers:libvirt");
    expect(providerUrn).toMatch(/::pulumi:providers:libvirt::kvm$/);
    expect(s.packageRef).toBe("mock-uuid");
    expect(s.args.inputs).toEqual(markers("Provider", fixture.provider.inputs));
    expect(libvirt.Provider.isInstance(provider)).toBe(true);
    for (const out of fixture.provider.outputs) {
      const o = (provider as unknown as Record<string, pulumi.Output<unknown>>)[out];
      expect(pulumi.Output.isInstance(o)).toBe(true);
      expect(await resolved(o)).toBe(marker("Provider", out));
    }
  });

  describe.each(tokens)("%s", (token) => {
    const { cls } = splitToken(token);
    const lists = (): PropLists => fixture.resources[token];

    it("is created with the token, every input, the provider and the package reference", () => {
      const s = find(token, `c-${cls}`);
      expect(s.args.custom).toBe(true);
      expect(s.args.provider).toBe(`${providerUrn}::kvm-id`);
      expect(s.packageRef).toBe("mock-uuid");
      // With a package reference the SDK sends no plugin version: the reference carries it.
      expect(s.version).toBe("");
      // Every input reaches the engine under its own name with its own value, nothing else does.
      expect(s.args.inputs).toEqual(markers(cls, lists().inputs));
    });

    it("exposes exactly the schema outputs, resolved from the engine's state", async () => {
      const res = created.get(token)!;
      const ctor = (libvirt as unknown as Record<string, { isInstance(o: unknown): boolean }>)[cls];
      expect(ctor.isInstance(res)).toBe(true);
      expect(libvirt.Provider.isInstance(res)).toBe(false);
      const outputKeys = Object.keys(res).filter(
        (k) => pulumi.Output.isInstance((res as unknown as Record<string, unknown>)[k]) && k !== "urn" && k !== "id",
      );
      expect(sorted(outputKeys)).toEqual(lists().outputs);
      for (const out of lists().outputs) {
        const value = await resolved((res as unknown as Record<string, pulumi.Output<unknown>>)[out]);
        // Output-only properties come back undefined from the echoing mock; inputs come back as sent.
        expect(value).toBe(lists().inputs.includes(out) ? marker(cls, out) : undefined);
      }
    });

    it("static get reads by id with every state property", () => {
      const s = find(token, `r-${cls}`);
      expect(s.args.id).toBe(`${cls}-existing`);
      expect(s.args.provider).toBe(`${providerUrn}::kvm-id`);
      expect(s.packageRef).toBe("mock-uuid");
      expect(s.args.inputs).toEqual(markers(cls, lists().stateInputs ?? lists().outputs));
    });

    it("rejects a missing required input", () => {
      const Ctor = (libvirt as unknown as Record<string, new (...a: unknown[]) => pulumi.CustomResource>)[cls];
      for (const req of lists().requiredInputs) {
        const args = markers(cls, lists().inputs);
        delete args[req];
        expect(() => new Ctor(`missing-${req}-${cls}`, args, { provider })).toThrow(
          `Missing required property '${req}'`,
        );
      }
      expect(seen.some((s) => s.args.name.startsWith("missing-"))).toBe(false);
    });
  });
});

describe("@pulumi/libvirt declarations (.d.ts)", () => {
  interface Member {
    name: string;
    optional: boolean;
    type: string;
  }

  function parse(rel: string): ts.SourceFile {
    const file = path.join(sdkDir, "bin", rel);
    return ts.createSourceFile(file, fs.readFileSync(file, "utf8"), ts.ScriptTarget.ES2022, true);
  }

  function membersOf(sf: ts.SourceFile, name: string, kind: "interface" | "class"): Member[] {
    let found: ts.NodeArray<ts.ClassElement | ts.TypeElement> | undefined;
    ts.forEachChild(sf, (node) => {
      if (kind === "interface" && ts.isInterfaceDeclaration(node) && node.name.text === name) found = node.members;
      if (kind === "class" && ts.isClassDeclaration(node) && node.name?.text === name) found = node.members;
    });
    if (!found) throw new Error(`${kind} ${name} not declared in ${sf.fileName}`);
    const out: Member[] = [];
    for (const m of found) {
      if (!(ts.isPropertySignature(m) || ts.isPropertyDeclaration(m))) continue;
      const mods = ts.canHaveModifiers(m) ? (ts.getModifiers(m) ?? []) : [];
      if (mods.some((x) => x.kind === ts.SyntaxKind.StaticKeyword)) continue;
      out.push({ name: m.name.getText(sf), optional: m.questionToken !== undefined, type: m.type?.getText(sf) ?? "" });
    }
    return out;
  }

  function interfacesIn(sf: ts.SourceFile): string[] {
    const names: string[] = [];
    ts.forEachChild(sf, (node) => {
      if (ts.isInterfaceDeclaration(node)) names.push(node.name.text);
    });
    return names;
  }

  const names = (ms: Member[]): string[] => sorted(ms.map((m) => m.name));
  const required = (ms: Member[]): string[] => sorted(ms.filter((m) => !m.optional).map((m) => m.name));

  it("ProviderArgs and the Provider class", () => {
    const sf = parse("provider.d.ts");
    const args = membersOf(sf, "ProviderArgs", "interface");
    expect(names(args)).toEqual(fixture.provider.inputs);
    expect(required(args)).toEqual(fixture.provider.requiredInputs);
    expect(names(membersOf(sf, "Provider", "class"))).toEqual(fixture.provider.outputs);
  });

  describe.each(tokens)("%s", (token) => {
    const { module, cls } = splitToken(token);
    const lists = fixture.resources[token];
    const sf = parse(`${module}.d.ts`);

    it("Args: every input, required ones non-optional", () => {
      const args = membersOf(sf, `${cls}Args`, "interface");
      expect(names(args)).toEqual(lists.inputs);
      expect(required(args)).toEqual(lists.requiredInputs);
      for (const m of args) expect(m.type).toMatch(/^pulumi\.Input</);
    });

    it("State: every state property, all optional", () => {
      const state = membersOf(sf, `${cls}State`, "interface");
      expect(names(state)).toEqual(lists.stateInputs ?? lists.outputs);
      expect(required(state)).toEqual([]);
    });

    it("class: one Output per schema output, optional ones may be undefined", () => {
      const props = membersOf(sf, cls, "class");
      expect(names(props)).toEqual(lists.outputs);
      for (const p of props) {
        expect(p.type).toMatch(/^pulumi\.Output<[\s\S]*>$/);
        expect({ [p.name]: /\| undefined>$/.test(p.type) }).toEqual({
          [p.name]: !lists.requiredOutputs.includes(p.name),
        });
      }
    });
  });

  describe.each(["input", "output"] as const)("types/%s", (kind) => {
    const sf = parse(`types/${kind}.d.ts`);

    it("declares exactly the nested types the resources use", () => {
      expect(sorted(interfacesIn(sf))).toEqual(sorted(Object.keys(fixture.types)));
    });

    it.each(Object.keys(fixture.types).sort())("%s", (typeName) => {
      const spec = fixture.types[typeName];
      const members = membersOf(sf, typeName, "interface");
      expect(names(members)).toEqual(spec.properties);
      expect(required(members)).toEqual(kind === "input" ? spec.required : spec.requiredOutputs);
    });
  });
});
