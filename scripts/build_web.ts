/**
 * Builds the workbench page (`web/`) into a static folder: `index.html`,
 * `assets/workbench.js` (the page), `assets/worker.js` (the filtering Web
 * Worker) and `assets/workbench.css`, bundled and minified with esbuild.
 * The output is deterministic; `web/dist/` is committed so that `serve`
 * works from a fresh clone (`web/build_test.ts` checks that it is current).
 *
 * Run: `deno task build:web [OUTDIR]` (default `web/dist`).
 *
 * @module
 */
import * as esbuild from "esbuild";

const root = new URL("../", import.meta.url);

/** The files of the static site, by path relative to its root. */
export async function buildWorkbench(): Promise<Map<string, Uint8Array>> {
  const result = await esbuild.build({
    entryPoints: {
      workbench: new URL("web/main.ts", root).pathname,
      worker: new URL("web/worker.ts", root).pathname,
    },
    bundle: true,
    format: "esm",
    target: "es2022",
    platform: "browser",
    minify: true,
    legalComments: "none",
    charset: "utf8",
    write: false,
    outdir: "/assets",
    logLevel: "silent",
  });
  const files = new Map<string, Uint8Array>();
  for (const file of result.outputFiles) {
    files.set(file.path.replace(/^\/+/, ""), file.contents);
  }
  files.set("index.html", await Deno.readFile(new URL("web/index.html", root)));
  files.set("assets/workbench.css", await Deno.readFile(new URL("web/workbench.css", root)));
  return new Map([...files].sort(([a], [b]) => a.localeCompare(b)));
}

/** Writes the site into `outDir` (created; stale files removed). */
export async function writeWorkbench(
  files: Map<string, Uint8Array>,
  outDir: string,
): Promise<void> {
  await Deno.remove(outDir, { recursive: true }).catch(() => {});
  for (const [path, bytes] of files) {
    const target = `${outDir}/${path}`;
    await Deno.mkdir(target.slice(0, target.lastIndexOf("/")), { recursive: true });
    await Deno.writeFile(target, bytes);
  }
}

if (import.meta.main) {
  const outDir = Deno.args[0] ?? new URL("web/dist", root).pathname;
  try {
    const files = await buildWorkbench();
    await writeWorkbench(files, outDir);
    for (const [path, bytes] of files) console.log(`${outDir}/${path}  ${bytes.length} bytes`);
  } finally {
    await esbuild.stop();
  }
}
