/**
 * FlatcarMicroCloud: config -> infra -> cluster -> platform, then the stack outputs.
 */
import { loadTopology } from "./config/load";
import { Infra } from "./infra";

// Config: the validated topology; a bad stack config stops here, before anything is created.
const topology = loadTopology();

// Stage 1: networks, storage, images and VMs on the KVM host.
const infra = new Infra("infra", { topology });

export const nodes = infra.nodes;
