/**
 * The one shape of the ServiceMonitors and PodMonitors the platform creates itself
 * (platform/monitors.ts): every opt-in's monitor is built by it, and their own suites hold each one's
 * selector and port.
 */
import { cephServiceMonitors, chartSelector, podMonitor, redisServiceMonitor, serviceMonitor, traefikServiceMonitor } from "../platform/monitors";

describe("serviceMonitor / podMonitor", () => {
  it("scrape /metrics every 30 s in the target's own namespace, with no job label unless named", () => {
    expect(serviceMonitor({ name: "a", namespace: "ns", matchLabels: { app: "a" }, port: "m" })).toEqual({
      name: "a",
      namespace: "ns",
      spec: { namespaceSelector: { matchNames: ["ns"] }, selector: { matchLabels: { app: "a" } }, endpoints: [{ port: "m", path: "/metrics", interval: "30s" }] },
    });
  });
  it("take a job label, another path and interval, and endpoint fields after port, path and interval", () => {
    const doc = serviceMonitor({ name: "a", namespace: "ns", matchLabels: {}, port: "m", jobLabel: "app", path: "/x", interval: "60s", endpoint: { honorLabels: true } });
    expect(Object.keys(doc.spec)).toEqual(["jobLabel", "namespaceSelector", "selector", "endpoints"]);
    expect(doc.spec.endpoints).toEqual([{ port: "m", path: "/x", interval: "60s", honorLabels: true }]);
    expect(Object.keys((doc.spec.endpoints as object[])[0])).toEqual(["port", "path", "interval", "honorLabels"]);
  });
  it("a PodMonitor is the same spec with its endpoints under podMetricsEndpoints", () => {
    const target = { name: "p", namespace: "ns", matchLabels: { app: "p" }, port: "prometheus", jobLabel: "app" };
    const { endpoints, ...rest } = serviceMonitor(target).spec;
    expect(podMonitor(target).spec).toEqual({ ...rest, podMetricsEndpoints: endpoints });
  });
  it("chartSelector: a release's name and instance labels, in that order", () => {
    expect(Object.entries(chartSelector("zot", "registry"))).toEqual([["app.kubernetes.io/name", "zot"], ["app.kubernetes.io/instance", "registry"]]);
  });
});

describe("the platform's own monitors", () => {
  it("Traefik's metrics Service, Redis's exporters and Ceph's two exporters (honoring their labels)", () => {
    expect(traefikServiceMonitor().spec).toEqual({
      jobLabel: "traefik",
      namespaceSelector: { matchNames: ["traefik"] },
      selector: { matchLabels: { "app.kubernetes.io/name": "traefik", "app.kubernetes.io/instance": "traefik-traefik", "app.kubernetes.io/component": "metrics" } },
      endpoints: [{ port: "metrics", path: "/metrics", interval: "30s" }],
    });
    expect(redisServiceMonitor().spec.selector).toEqual({ matchLabels: { app: "redis-ha", release: "redis-ha", exporter: "enabled" } });
    expect(cephServiceMonitors().map((m) => [m.name, m.spec.endpoints])).toEqual([
      ["rook-ceph-mgr", [{ port: "http-metrics", path: "/metrics", interval: "30s", honorLabels: true }]],
      ["rook-ceph-exporter", [{ port: "ceph-exporter-http-metrics", path: "/metrics", interval: "30s", honorLabels: true }]],
    ]);
  });
});
