/**
 * Item: Flatcar boots on an enforcing SELinux (or AppArmor) host. The provider's `-fw_cfg` passthrough
 * is turned by the Domain's XSLT into libvirt's own `<sysinfo type="fwcfg">` entry, whose file libvirt
 * labels for the VM. Checked with the tools the provider and libvirt use: xsltproc (the provider's
 * XSLT step, same flags) and virt-xml-validate (libvirt's domain schema).
 */
import { readFileSync } from "fs";
import { join } from "path";
import { FLATCAR_FW_CFG_NAME, QEMU_NAMESPACE, renderIgnitionFwCfgXslt } from "../infra/ignition-delivery";
import { virtXmlValidate, xsltproc } from "./helpers/tools";

const PROVIDER_XML = readFileSync(join(__dirname, "fixtures", "libvirt", "flatcar-domain-0.8.3.xml"), "utf8");
const IGNITION_PATH = "/var/lib/libvirt/images/fmc/worker1-abc.ign";

function transform(xml: string): string {
  const result = xsltproc(renderIgnitionFwCfgXslt(), xml);
  expect(result.status).toBe(0);
  return result.output;
}

describe("Ignition delivery through libvirt's fw_cfg sysinfo", () => {
  it("the fixture carries the provider's passthrough argument and is a valid domain", () => {
    expect(PROVIDER_XML).toContain(`value="name=${FLATCAR_FW_CFG_NAME},file=${IGNITION_PATH}"`);
    expect(virtXmlValidate(PROVIDER_XML).status).toBe(0);
  });

  it("moves the Ignition file into a <sysinfo type='fwcfg'> entry and drops the passthrough", () => {
    const out = transform(PROVIDER_XML);
    expect(out).toMatch(new RegExp(`<sysinfo type="fwcfg">\\s*<entry name="${FLATCAR_FW_CFG_NAME}" file="${IGNITION_PATH}"/>\\s*</sysinfo>`));
    expect(out).not.toContain("-fw_cfg");
    expect(out).not.toContain(QEMU_NAMESPACE);
    // Everything else is copied: disks, NICs, the guest agent channel, the CPU mode.
    for (const kept of ["worker1-root-abc.qcow2", 'address="52:54:00:aa:bb:cc"', "org.qemu.guest_agent.0", 'mode="host-passthrough"']) {
      expect(out).toContain(kept);
    }
    const validated = virtXmlValidate(out);
    expect(validated.output).toContain("validates");
    expect(validated.status).toBe(0);
  });

  it("also matches the argument when the qemu namespace has a prefix", () => {
    const prefixed = PROVIDER_XML.replace(`<domain type="kvm">`, `<domain type="kvm" xmlns:qemu="${QEMU_NAMESPACE}">`)
      .replace(`<commandline xmlns="${QEMU_NAMESPACE}">`, "<qemu:commandline>")
      .replace("</commandline>", "</qemu:commandline>")
      .replace(/<arg /g, "<qemu:arg ")
      .replace(/<\/arg>/g, "</qemu:arg>");
    expect(prefixed).toContain("<qemu:arg value=\"-fw_cfg\">");
    const out = transform(prefixed);
    expect(out).toContain(`file="${IGNITION_PATH}"`);
    expect(out).not.toContain("-fw_cfg");
  });

  it("leaves a domain without the argument (a Rocky VM) unchanged but for formatting", () => {
    const rocky = PROVIDER_XML.replace(/\s*<commandline xmlns=[\s\S]*<\/commandline>/, "");
    const out = transform(rocky);
    expect(out).not.toContain("sysinfo");
    expect(out).toContain("worker1-root-abc.qcow2");
    expect(virtXmlValidate(out).status).toBe(0);
  });

  it("keeps another fw_cfg name's argument (the stylesheet is tied to Flatcar's name)", () => {
    const other = PROVIDER_XML.replace(FLATCAR_FW_CFG_NAME, "opt/com.coreos/config");
    const out = transform(other);
    expect(out).toContain("-fw_cfg");
    expect(out).not.toContain("sysinfo");
  });

  it("refuses a name that would break out of the stylesheet", () => {
    expect(() => renderIgnitionFwCfgXslt("opt/x'y")).toThrow(/cannot be used/);
  });
});
