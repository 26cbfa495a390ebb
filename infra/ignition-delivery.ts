/**
 * How a Flatcar VM's Ignition file reaches qemu so that a confined qemu may read it.
 *
 * terraform-provider-libvirt 0.8.3 (libvirt/domain.go, setCoreOSIgnition) passes the Ignition volume
 * as a raw qemu argument: `<qemu:commandline>` with `-fw_cfg name=<fwCfgName>,file=<volume path>`.
 * libvirt relabels the disks it knows about, but never a file named only on a passthrough argument,
 * so on an SELinux host the file keeps the pool's `virt_image_t` label, which the confined qemu
 * (`svirt_t`) may not read: qemu exits with "can't load ...ign" (dmacvicar/terraform-provider-libvirt#142).
 * AppArmor hosts refuse it the same way (virt-aa-helper adds no rule for it).
 *
 * libvirt >= 6.5.0 has a native form of the same thing, `<sysinfo type='fwcfg'>` entries, and its
 * security drivers label those files for the VM (SELinux: the read-only `virt_content_t`; DAC:
 * qemu's user; AppArmor: a read rule in the VM's profile). The provider's Domain takes an XSLT
 * stylesheet applied to the XML it generates, before libvirt sees it: the stylesheet below moves the
 * provider's argument into that native entry. Same fw_cfg name, same file, so the guest sees no
 * difference; no host setting (no `security_driver = "none"`, no relabelling by hand) is needed.
 */

/** Where Flatcar's Ignition looks for its config on QEMU (the provider's default is CoreOS's name). */
export const FLATCAR_FW_CFG_NAME = "opt/org.flatcar-linux/config";

/** libvirt's namespace for `<qemu:commandline>` (the provider's Go XML may bind it to any prefix). */
export const QEMU_NAMESPACE = "http://libvirt.org/schemas/domain/qemu/1.0";

/** First libvirt release with `<sysinfo type='fwcfg'>` (checked by the host preflight). */
export const MIN_LIBVIRT_FOR_FWCFG = "6.5.0";

function xmlAttributeLiteral(text: string): string {
  if (/['"<>&]/.test(text)) throw new Error(`fw_cfg name ${JSON.stringify(text)} cannot be used in the stylesheet`);
  return text;
}

/**
 * The Domain's `xml.xslt`: copies the provider's domain XML unchanged except that the
 * `-fw_cfg name=<fwCfgName>,file=<path>` passthrough becomes `<sysinfo type="fwcfg">` with the same
 * name and file. The provider sets the whole `<qemu:commandline>` to exactly that pair, so the
 * element goes with it. A domain without the argument (a Rocky VM) passes through untouched.
 */
export function renderIgnitionFwCfgXslt(fwCfgName: string = FLATCAR_FW_CFG_NAME): string {
  const prefix = `name=${xmlAttributeLiteral(fwCfgName)},file=`;
  // XSLT 1.0 (xsltproc): no variables in match patterns, so the prefix is written out where used.
  const passthrough = `q:arg[starts-with(@value, '${prefix}')]`;
  return [
    `<?xml version="1.0"?>`,
    `<!-- FlatcarMicroCloud (infra/ignition-delivery.ts): the Ignition file as a libvirt-labelled fw_cfg entry. -->`,
    `<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform" xmlns:q="${QEMU_NAMESPACE}">`,
    `  <xsl:output method="xml" indent="yes"/>`,
    `  <xsl:template match="@*|node()">`,
    `    <xsl:copy><xsl:apply-templates select="@*|node()"/></xsl:copy>`,
    `  </xsl:template>`,
    `  <xsl:template match="q:commandline[${passthrough}]"/>`,
    `  <xsl:template match="/domain">`,
    `    <xsl:copy>`,
    `      <xsl:apply-templates select="@*|node()"/>`,
    `      <xsl:for-each select="q:commandline/${passthrough}">`,
    `        <sysinfo type="fwcfg">`,
    `          <entry name="${fwCfgName}" file="{substring-after(@value, '${prefix}')}"/>`,
    `        </sysinfo>`,
    `      </xsl:for-each>`,
    `    </xsl:copy>`,
    `  </xsl:template>`,
    `</xsl:stylesheet>`,
    ``,
  ].join("\n");
}
