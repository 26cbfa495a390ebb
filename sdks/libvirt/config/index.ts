// *** Hand-written in the shape of `pulumi package add terraform-provider registry.opentofu.org/dmacvicar/libvirt 0.8.3`. ***
// *** Property names and types follow the pulumi-libvirt 0.5.4 schema (same provider line). ***

// Export members:
export * from "./vars";
