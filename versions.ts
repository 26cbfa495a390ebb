/**
 * Every version the program installs, in one place. Bump here and nowhere else; tests read these
 * constants, and the chart key fixtures under tests/fixtures are derived per chart version.
 */

/** Guest images. Pinned files only: `current`/`latest` would change machines behind the user's back. */
export const IMAGES = {
  flatcar: {
    release: "4593.2.5",
    channel: "stable",
    url: "https://stable.release.flatcar-linux.net/amd64-usr/4593.2.5/flatcar_production_qemu_image.img",
    format: "qcow2",
    // Flatcar ships qemu-guest-agent in /usr; udev starts it when the virtio port exists.
    guestAgent: true,
  },
  rocky: {
    release: "9.5-20241118.0",
    // The vault keeps every point release, so the pinned file never disappears from the mirror.
    url: "https://dl.rockylinux.org/vault/rocky/9.5/images/x86_64/Rocky-9-GenericCloud-Base-9.5-20241118.0.x86_64.qcow2",
    sha256: "069493fdc807300a22176540e9171fcff2227a92b40a7985a0c1c9e21aeebf57",
    format: "qcow2",
    guestAgent: true,
  },
} as const;

/** The Terraform provider line the local `@pulumi/libvirt` package bridges (0.9 is an incompatible rewrite). */
export const LIBVIRT_PROVIDER = { terraform: "0.8.3", bridge: "1.1.3" } as const;

export const K3S_VERSION = "v1.36.5+k3s1";
