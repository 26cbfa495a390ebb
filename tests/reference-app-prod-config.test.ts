/**
 * Prod's stack config deploys the reference app as reference-app/ builds it: the image tags are
 * reference-app/VERSION (what build-push.sh pushes), the ports are the ones the images listen on,
 * each app declares the services its code uses, and /api and / share one host (the frontend calls
 * /api on its own origin, and npm run smoke reads appUrls.api / appUrls.frontend).
 */
import { readFileSync } from "fs";
import { join } from "path";
import { parse } from "yaml";

const ROOT = join(__dirname, "..");

interface RawApp {
  name: string;
  image: string;
  port: number;
  uses?: { postgres?: boolean; redis?: boolean; mqtt?: boolean; kafkaTopics?: string[] };
  ingress?: { host: string; paths: string[] };
  runAsUser?: number;
}

const config = (parse(readFileSync(join(ROOT, "Pulumi.prod.yaml"), "utf8")) as { config: Record<string, unknown> }).config;
const apps = (config["flatcarmicrocloud:apps"] ?? []) as RawApp[];
const version = readFileSync(join(ROOT, "reference-app", "VERSION"), "utf8").trim();
const byName = (name: string): RawApp => {
  const app = apps.find((a) => a.name === name);
  if (!app) throw new Error(`Pulumi.prod.yaml has no app ${name}`);
  return app;
};
/** The port a Dockerfile EXPOSEs and the uid it runs as. */
const image = (dir: string) => {
  const text = readFileSync(join(ROOT, "reference-app", dir, "Dockerfile"), "utf8");
  return { port: Number(/^EXPOSE (\d+)$/m.exec(text)?.[1]), uid: Number(/^USER (\d+)/m.exec(text)?.[1]) };
};

describe("prod deploys the reference app", () => {
  it.each([
    ["api", "reference-api", "api"],
    ["worker", "reference-worker", "worker"],
    ["frontend", "reference-frontend", "frontend"],
  ])("%s runs %s at the pinned VERSION on the port its image listens on", (name, imageName, dir) => {
    const app = byName(name);
    expect(app.image).toBe(`${imageName}:${version}`);
    expect(app.port).toBe(image(dir).port);
    expect(app.runAsUser ?? 10001).toBe(image(dir).uid);
  });

  it("declares the services each part's code uses", () => {
    expect(byName("api").uses).toEqual({ postgres: true, kafkaTopics: ["events"], redis: true, mqtt: true });
    expect(byName("worker").uses).toEqual({ kafkaTopics: ["events"], redis: true, mqtt: true });
    expect(byName("frontend").uses ?? {}).toEqual({});
  });

  it("serves /api and the frontend on one host; the worker has no route", () => {
    const api = byName("api").ingress;
    const frontend = byName("frontend").ingress;
    expect(api?.paths).toEqual(["/api"]);
    expect(frontend?.paths).toEqual(["/"]);
    expect(api?.host).toBe(frontend?.host);
    expect(byName("worker").ingress).toBeUndefined();
  });
});
