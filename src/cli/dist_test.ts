/**
 * The committed bundle of the `bpfstream` command (`src/cli/dist/`, built by
 * `deno task build:cli`) is current, and runs as the source does.
 *
 * @module
 */
import assert from "node:assert/strict";

const dist = new URL("./dist/", import.meta.url);
const root = new URL("../../", import.meta.url);

/** What `deno task build:cli` would write, built in a child process (esbuild's
 * service never lives in the test process). */
async function _buildInChild(): Promise<Map<string, Uint8Array>> {
  const outDir = await Deno.makeTempDir({ prefix: "bpfs-cli-" });
  try {
    const output = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-read",
        "--allow-write",
        "--allow-env",
        "--allow-run",
        new URL("scripts/build_cli.ts", root).pathname,
        outDir,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!output.success) {
      throw new Error(`Cannot build the CLI: ${new TextDecoder().decode(output.stderr)}`);
    }
    const files = new Map<string, Uint8Array>();
    for await (const entry of Deno.readDir(outDir)) {
      files.set(entry.name, await Deno.readFile(`${outDir}/${entry.name}`));
    }
    return files;
  } finally {
    await Deno.remove(outDir, { recursive: true }).catch(() => {});
  }
}

/** Runs `script` with `args`, `stdin` piped in; its status, stdout and stderr. */
async function _run(script: URL, args: string[], stdin: Uint8Array) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", "--allow-write", "--allow-env", script.pathname, ...args],
    // The worker of --threads 2 takes part from the first block.
    env: { BPFSTREAM_WAIT_FOR_WORKER: "1" },
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(stdin);
  await writer.close();
  const { code, stdout, stderr } = await child.output();
  return { code, stdout, stderr: new TextDecoder().decode(stderr) };
}

Deno.test({
  name:
    "src/cli/dist is the current build of the CLI (run `deno task build:cli` after changing src/)",
  async fn() {
    const files = await _buildInChild();
    const committed: string[] = [];
    for await (const entry of Deno.readDir(dist)) committed.push(entry.name);
    assert.deepEqual(committed.sort(), [...files.keys()].sort());
    for (const [name, bytes] of files) {
      const current = await Deno.readFile(new URL(name, dist));
      const same = current.length === bytes.length && current.every((b, i) => b === bytes[i]);
      assert.ok(same, `src/cli/dist/${name} is stale: run \`deno task build:cli\``);
    }
  },
});

Deno.test("the bundled CLI filters, counts and fails as the source does", async () => {
  const bundle = new URL("bpfstream.js", dist);
  const source = new URL("src/cli/main.ts", root);
  const pcap = await Deno.readFile(new URL("examples/mixed.pcap", root));
  const rules = new URL("examples/edge.rules", root).pathname;
  const cases: [string[], Uint8Array][] = [
    [["filter", "--rules", rules, "--stats", "--json"], pcap],
    [["filter", "--base", "link", "--expr", "tcp or udp", "--stats"], pcap],
    [["filter", "--threads", "2", "--expr", "ip", "--json"], pcap],
    [["filter", "--expr", "ip"], pcap.subarray(0, pcap.length - 3)],
    [["filter", "--expr", "no such"], pcap],
    [["compile", "-y", "EN10MB", "tcp port 80"], new Uint8Array(0)],
  ];
  for (const [args, input] of cases) {
    const expected = await _run(source, args, input);
    const actual = await _run(bundle, args, input);
    assert.deepEqual(actual, expected, args.join(" "));
  }
});

Deno.test("the README's install line and `deno task cli` run the bundle", async () => {
  const entry = "src/cli/dist/bpfstream.js";
  await Deno.stat(new URL(entry, root));
  const readme = await Deno.readTextFile(new URL("README.md", root));
  const installs = readme.split("\n").filter((line) => line.startsWith("deno install -g"));
  assert.ok(installs.length >= 1);
  for (const line of installs) assert.ok(line.endsWith(` ${entry}`), line);
  const tasks = JSON.parse(await Deno.readTextFile(new URL("deno.json", root))).tasks;
  assert.ok(tasks.cli.endsWith(` ${entry}`), tasks.cli);
});
