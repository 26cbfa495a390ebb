#!/usr/bin/env node
/**
 * Runs one Pulumi CLI command against this program, with the Node SDK serving as the language host:
 *
 *   node scripts/lab/client.js PROJECT_DIR PULUMI_BINARY <pulumi args...>
 *
 * Why: the Go language host (pulumi-language-nodejs) is refused by the module proxy here. The CLI's
 * `--client ADDRESS` runs a program through an existing language runtime instead; the Node SDK ships
 * one (@pulumi/pulumi/automation's LanguageServer, the inline-program server of the Automation API).
 * The program itself is the repository's index.ts, loaded as the Node language host loads it
 * (the SDK's ts-node, transpile-only, the project's tsconfig.json) from the repository root, so it
 * reads its files where they live. The CLI runs in PROJECT_DIR (a copy of Pulumi.yaml with the lab's
 * stack files), so nothing is written next to the repository's Pulumi.yaml.
 *
 * The server calls the program once per engine operation (an `up` runs its preview, then the
 * update). A second `require` of index.ts would return the cached module and register nothing, so
 * the `up` would "succeed" creating only the Stack: each run first forgets the program's own modules
 * (everything under the repository outside node_modules), as a fresh language host would.
 */
"use strict";
const path = require("path");
const { spawn } = require("child_process");

const ROOT = path.resolve(__dirname, "..", "..");

// Resolved from the repository, so the program and the server share one @pulumi/pulumi instance.
const sdk = (m) => require(require.resolve(m, { paths: [ROOT] }));
const grpc = sdk("@grpc/grpc-js");
const langrpc = sdk("@pulumi/pulumi/proto/language_grpc_pb.js");
const { LanguageServer } = sdk("@pulumi/pulumi/automation/server");
const runtime = sdk("@pulumi/pulumi/runtime");
const { registerTypeScript } = require("./common");

/** Drops the program's own modules from require's cache; the SDK and libraries stay loaded once. */
function forgetProgram(cache = require.cache) {
  const nodeModules = `${path.sep}node_modules${path.sep}`;
  for (const file of Object.keys(cache)) {
    if (file.startsWith(ROOT + path.sep) && !file.includes(nodeModules) && !file.startsWith(__dirname + path.sep)) delete cache[file];
  }
}

async function main() {
  const [projectDir, pulumiBinary, ...pulumiArgs] = process.argv.slice(2);
  if (!projectDir || !pulumiBinary || pulumiArgs.length === 0) {
    console.error("usage: client.js PROJECT_DIR PULUMI_BINARY <pulumi args...>");
    process.exit(2);
  }
  process.chdir(ROOT);
  registerTypeScript(ROOT);
  const program = async () => {
    forgetProgram();
    return require(path.join(ROOT, "index.ts"));
  };
  const server = new grpc.Server(runtime.grpcChannelOptions || {});
  const languageServer = new LanguageServer(program);
  server.addService(langrpc.LanguageRuntimeService, languageServer);
  const port = await new Promise((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  const child = spawn(pulumiBinary, [...pulumiArgs, `--client=127.0.0.1:${port}`], { cwd: projectDir, stdio: "inherit" });
  const code = await new Promise((resolve) => child.on("exit", (c, signal) => resolve(c ?? (signal ? 1 : 0))));
  server.forceShutdown();
  process.exit(code);
}

module.exports = { forgetProgram };
if (require.main === module) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
