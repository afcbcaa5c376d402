/**
 * Builds the npm package in `npm/` (`deno task build:npm`): ES modules bundled
 * by esbuild into `npm/dist/` (`mod.js` the root export, `bpf.js`,
 * `capture.js`, `filter.js`, `u32.js`, `rules.js`, `stream.js` the subpath
 * exports and `server.js` the HTTP service and stores, sharing chunks;
 * `cli.js` the `bpfstream` executable for Node.js and Bun) and `.d.ts` declarations by the TypeScript compiler into
 * `npm/dist/types/`. Then `cd npm && npm pack` (or `npm publish`).
 *
 * @module
 */
import * as esbuild from "esbuild";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const OUT = ROOT + "npm/dist/";

/**
 * The Node executable has no `serve` (its shell is Deno's, `src/server/main.ts`):
 * the command answers with a usage error naming the alternatives.
 */
const noDenoServer: esbuild.Plugin = {
  name: "no-deno-server",
  setup(build) {
    build.onResolve(
      { filter: /^\.\/main\.ts$/ },
      (args) =>
        /server\/serve_command\.ts$/.test(args.importer)
          ? { path: "main.ts", namespace: "stub" }
          : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: "stub" }, () => ({
      contents: `import { UsageError } from ${JSON.stringify(ROOT + "src/cli/usage_error.ts")};
export function serve() {
  throw new UsageError("Cannot run serve on Node.js or Bun: serve createApp() from 'bpfstream/server' " +
    "with your HTTP server, or run 'deno task cli serve' (see docs/deploy.md)", "serve");
}`,
      loader: "ts",
      resolveDir: ROOT,
    }));
  },
};

await Deno.remove(OUT, { recursive: true }).catch(() => {});
const common: esbuild.BuildOptions = {
  bundle: true,
  format: "esm",
  target: "es2022",
  external: ["hono", "hono/*", "@deno/kv"],
  logLevel: "warning",
  legalComments: "none",
};
/** The package's entries: the root and the subpaths of deno.json's `exports`. */
const ENTRIES: Record<string, string> = {
  mod: ROOT + "mod.ts",
  bpf: ROOT + "src/bpf/mod.ts",
  capture: ROOT + "src/capture/mod.ts",
  filter: ROOT + "src/filter/mod.ts",
  u32: ROOT + "src/u32/mod.ts",
  rules: ROOT + "src/rules/mod.ts",
  stream: ROOT + "src/stream/mod.ts",
  server: ROOT + "npm/server.ts",
};
await esbuild.build({
  ...common,
  platform: "neutral",
  entryPoints: ENTRIES,
  // Shared chunks: one copy of each class (an error thrown through one entry
  // is `instanceof` the class imported from another).
  splitting: true,
  chunkNames: "chunks/[name]-[hash]",
  outdir: OUT,
});
await esbuild.build({
  ...common,
  platform: "node",
  entryPoints: { cli: ROOT + "src/cli/node_main.ts" },
  outdir: OUT,
  banner: { js: "#!/usr/bin/env node" },
  plugins: [noDenoServer],
});
await esbuild.stop();
await Deno.chmod(OUT + "cli.js", 0o755);

// Declarations: tsc checks nothing here (deno check does); it only writes .d.ts files.
const tsc = await new Deno.Command(Deno.execPath(), {
  args: [
    "run",
    "-A",
    "npm:typescript@6.0.3/tsc",
    "--project",
    ROOT + "npm/tsconfig.json",
  ],
  cwd: ROOT,
}).output();
if (!tsc.success) {
  console.error(new TextDecoder().decode(tsc.stdout) + new TextDecoder().decode(tsc.stderr));
  Deno.exit(1);
}
console.log(`build:npm: wrote ${OUT}{${Object.keys(ENTRIES).join(",")},cli}.js and ${OUT}types/`);
