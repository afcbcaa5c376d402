/**
 * Test helper: builds the workbench in a child process (`scripts/build_web.ts`
 * into a temporary folder) and returns its files, so that esbuild's service
 * never lives in the test process (stopping and restarting it there hangs
 * when several test files build).
 *
 * @module
 */

/** The files `deno task build:web` would write, by path relative to the site's root. */
export async function buildWorkbenchInChild(): Promise<Map<string, Uint8Array>> {
  const outDir = await Deno.makeTempDir({ prefix: "bpfs-web-" });
  try {
    const script = new URL("../scripts/build_web.ts", import.meta.url).pathname;
    const output = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-read", "--allow-write", "--allow-env", "--allow-run", script, outDir],
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!output.success) {
      throw new Error(`Cannot build workbench: ${new TextDecoder().decode(output.stderr)}`);
    }
    const files = new Map<string, Uint8Array>();
    const walk = async (dir: string, prefix: string) => {
      for await (const entry of Deno.readDir(dir)) {
        if (entry.isDirectory) await walk(`${dir}/${entry.name}`, `${prefix}${entry.name}/`);
        else files.set(`${prefix}${entry.name}`, await Deno.readFile(`${dir}/${entry.name}`));
      }
    };
    await walk(outDir, "");
    return new Map([...files].sort(([a], [b]) => a.localeCompare(b)));
  } finally {
    await Deno.remove(outDir, { recursive: true }).catch(() => {});
  }
}
