/**
 * The npm package under Node.js 20+ and Bun, built as docs/deploy.md says
 * (`deno task build:npm`): the CLI (`npm/dist/cli.js`, the package's `bin`)
 * gives the Deno CLI's bytes, counters, messages and exit statuses on corpus
 * captures; the library, imported through the package's `exports`, routes
 * the corpus to the same bytes and counters as in Deno; the Node KV store
 * (`@deno/kv`) writes a database that Deno's `KvRuleSetStore` reads.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { corpusDir, corpusSkipReason } from "../_corpus.ts";
import { compileRuleSet } from "../../src/rules/compile_rule_set.ts";
import { parseRuleSet } from "../../src/rules/parse_rule_set.ts";
import { RouterStream } from "../../src/stream/router_stream.ts";
import { KvRuleSetStore } from "../../src/server/kv_rule_set_store.ts";
import { ROOT } from "./_process.ts";

const TOOLS = ROOT + ".ci/deploy_tools/node_modules/";
const CLI = ROOT + "npm/dist/cli.js";
const RULES = ROOT + "examples/edge.rules";
const CAPTURES = [
  "DnsPackets.pcap",
  "four_ipv6_http_streams.pcap",
  "pcapng-example.pcapng",
  "sll.pcap",
  "many_interfaces-1.pcapng",
];

function _version(command: string[]): string | undefined {
  try {
    const output = new Deno.Command(command[0], {
      args: command.slice(1),
      stdout: "piped",
      stderr: "null",
    })
      .outputSync();
    return output.success ? new TextDecoder().decode(output.stdout).trim() : undefined;
  } catch {
    return undefined;
  }
}

const nodeVersion = _version(["node", "--version"]);
const bun = TOOLS + "bun/bin/bun.exe";
const bunVersion = existsSync(bun) ? _version([bun, "--version"]) : undefined;
const runtimes: { name: string; command: string; skip?: string }[] = [
  {
    name: "node",
    command: "node",
    skip: nodeVersion === undefined
      ? "node is not installed; skipping"
      : Number(/^v(\d+)/.exec(nodeVersion)?.[1]) < 20
      ? `node ${nodeVersion} is older than 20; skipping`
      : undefined,
  },
  {
    name: "bun",
    command: bun,
    skip: bunVersion === undefined
      ? "bun is not installed (run .ci/install_deploy.sh); skipping"
      : undefined,
  },
];
const toolsSkip = existsSync(TOOLS + "@deno/kv") && existsSync(TOOLS + "hono")
  ? undefined
  : "@deno/kv and hono are not installed in .ci/deploy_tools (run .ci/install_deploy.sh); skipping";

for (const reason of [...runtimes.map((r) => r.skip), toolsSkip]) {
  if (reason) console.log(`npm package tests: ${reason}`);
}

let built: Promise<void> | undefined;
/** Runs the documented build once per test run. */
function _build(): Promise<void> {
  return built ??= (async () => {
    const output = await new Deno.Command(Deno.execPath(), {
      args: ["task", "--config", ROOT + "deno.json", "build:npm"],
      cwd: ROOT,
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.ok(output.success, new TextDecoder().decode(output.stderr));
  })();
}

interface _Run {
  code: number;
  stdout: Uint8Array;
  stderr: string;
}

async function _run(
  command: string,
  args: string[],
  options: { cwd?: string; shell?: boolean } = {},
): Promise<_Run> {
  const output = await new Deno.Command(command, {
    args,
    cwd: options.cwd,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  return {
    code: output.code,
    stdout: output.stdout,
    stderr: new TextDecoder().decode(output.stderr),
  };
}

function _denoCli(args: string[]): Promise<_Run> {
  return _run(Deno.execPath(), [
    "run",
    "-A",
    "--config",
    ROOT + "deno.json",
    ROOT + "src/cli/main.ts",
    ...args,
  ]);
}

/** A folder whose node_modules has the built package as "bpfstream", plus hono and @deno/kv. */
async function _project(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "bpfstream-npm-" });
  await Deno.mkdir(`${dir}/node_modules/@deno`, { recursive: true });
  await Deno.symlink(ROOT + "npm", `${dir}/node_modules/bpfstream`);
  await Deno.symlink(TOOLS + "hono", `${dir}/node_modules/hono`);
  for (const name of ["kv", "kv-linux-x64-gnu"]) {
    if (existsSync(TOOLS + "@deno/" + name)) {
      await Deno.symlink(TOOLS + "@deno/" + name, `${dir}/node_modules/@deno/${name}`);
    }
  }
  await Deno.copyFile(ROOT + "tests/deploy/npm_probe.mjs", `${dir}/probe.mjs`);
  return dir;
}

for (const runtime of runtimes) {
  Deno.test({
    name:
      `npm package on ${runtime.name}: the CLI gives the Deno CLI's bytes, counters and exit statuses`,
    ignore: runtime.skip !== undefined || corpusSkipReason() !== undefined,
    async fn(t) {
      await _build();
      for (const name of CAPTURES) {
        await t.step(name, async () => {
          const args = ["filter", "--rules", RULES, "--stats", corpusDir + "pcap/" + name];
          const [got, want] = [await _run(runtime.command, [CLI, ...args]), await _denoCli(args)];
          assert.equal(got.code, want.code);
          assert.deepEqual(got.stdout, want.stdout);
          assert.equal(got.stderr, want.stderr);
        });
      }
      await t.step("errors: missing file (1), usage (2), unknown command (2)", async () => {
        for (
          const args of [
            ["filter", "--rules", RULES, ROOT + "no/such.pcap"],
            ["filter", "--no-such-flag"],
            ["frobnicate"],
            ["compile", "-y", "RAW", "tcp port 80"],
          ]
        ) {
          const [got, want] = [await _run(runtime.command, [CLI, ...args]), await _denoCli(args)];
          assert.equal(got.code, want.code, args.join(" "));
          assert.equal(got.stderr, want.stderr, args.join(" "));
          assert.deepEqual(got.stdout, want.stdout, args.join(" "));
        }
      });
      await t.step("a reader that closes early ends the run with 141 and no message", async () => {
        const capture = corpusDir + "pcap/sll.pcap"; // 460 kB out: more than a pipe holds
        const script =
          `'${runtime.command}' '${CLI}' filter --rules '${ROOT}tests/deploy/accept_all.rules' ` +
          `'${capture}' | head -c 10 > /dev/null; echo "status \${PIPESTATUS[0]}"`;
        const run = await _run("bash", ["-c", script]);
        assert.match(new TextDecoder().decode(run.stdout), /status 141\n$/, run.stderr);
      });
    },
  });

  Deno.test({
    name:
      `npm package on ${runtime.name}: the README's filter command writes the Deno CLI's capture`,
    ignore: runtime.skip !== undefined,
    async fn() {
      await _build();
      const args = ["filter", "--rules", "examples/edge.rules", "examples/mixed.pcap"];
      const got = await _run(runtime.command, ["npm/dist/cli.js", ...args], { cwd: ROOT });
      const want = await _denoCli(args.map((a) => a.startsWith("examples/") ? ROOT + a : a));
      assert.equal(got.code, 0, got.stderr);
      assert.ok(got.stdout.length > 24);
      assert.deepEqual(got.stdout, want.stdout);
    },
  });

  Deno.test({
    name:
      `npm package on ${runtime.name}: the library routes the corpus as in Deno (bytes and counters)`,
    ignore: runtime.skip !== undefined || toolsSkip !== undefined ||
      corpusSkipReason() !== undefined,
    async fn() {
      await _build();
      const dir = await _project();
      try {
        const text = await Deno.readTextFile(RULES);
        for (const name of CAPTURES) {
          const path = corpusDir + "pcap/" + name;
          const run = await _run(runtime.command, [
            `${dir}/probe.mjs`,
            "route",
            RULES,
            path,
            `${dir}/out`,
          ], {
            cwd: dir,
          });
          assert.equal(run.code, 0, run.stderr);
          const rules = compileRuleSet(parseRuleSet(text));
          const expected = await new Response(
            new Blob([await Deno.readFile(path)]).stream().pipeThrough(new RouterStream(rules)),
          ).bytes();
          assert.deepEqual(await Deno.readFile(`${dir}/out`), expected, name);
          assert.deepEqual(
            JSON.parse(new TextDecoder().decode(run.stdout)),
            JSON.parse(JSON.stringify(rules.counters())),
            name,
          );
        }
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    },
  });

  Deno.test({
    name:
      `npm package on ${runtime.name}: KvRuleSetStore on @deno/kv writes what Deno's KvRuleSetStore reads`,
    // On Bun, @deno/kv 0.14.0 needs a V8-format value serializer passed in
    // (Bun's node:v8 writes JavaScriptCore's format): docs/deploy.md says so.
    ignore: runtime.skip !== undefined || toolsSkip !== undefined || runtime.name === "bun",
    async fn() {
      await _build();
      const dir = await _project();
      try {
        const run = await _run(runtime.command, [`${dir}/probe.mjs`, "kv", `${dir}/rules.kv`], {
          cwd: dir,
        });
        assert.equal(run.code, 0, run.stderr);
        assert.deepEqual(JSON.parse(new TextDecoder().decode(run.stdout)), {
          statuses: [201, 412, 200],
          version: 2,
        });
        const store = await KvRuleSetStore.open(`${dir}/rules.kv`);
        try {
          const stored = await store.get("edge");
          assert.equal(stored?.version, 2);
          assert.match(stored!.text, /-p icmp -j DROP/);
          assert.deepEqual(await store.readCounters("edge", 2), new Map([[0, 7]]));
          assert.deepEqual((await store.put("edge", "x", 1, new Date().toISOString())).ok, false);
        } finally {
          store.close();
        }
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    },
  });
}

Deno.test({
  name: "npm package: its .d.ts types resolve through exports for a NodeNext TypeScript project",
  ignore: toolsSkip !== undefined,
  async fn() {
    await _build();
    const dir = await _project();
    try {
      await Deno.writeTextFile(`${dir}/package.json`, '{ "type": "module" }\n');
      await Deno.writeTextFile(
        `${dir}/tsconfig.json`,
        JSON.stringify({
          compilerOptions: {
            target: "ES2022",
            module: "NodeNext",
            moduleResolution: "NodeNext",
            lib: ["ES2023", "DOM"],
            strict: true,
            noEmit: true,
            types: [],
          },
          files: ["index.ts"],
        }),
      );
      const source = `import { compileRuleSet, parseRuleSet, RouterStream } from "bpfstream";
import { createApp, MemoryRuleSetStore } from "bpfstream/server";
import { type Instruction, interpret } from "bpfstream/bpf";
import { type CapturedFrame, LINKTYPE_RAW } from "bpfstream/capture";
import { formatFilterProgram } from "bpfstream/filter";
import { parseU32 } from "bpfstream/u32";
import { type FrameRef, formatRuleSet } from "bpfstream/rules";
import type { RouterTotals } from "bpfstream/stream";
const rules = compileRuleSet(parseRuleSet("*filter\\n:INPUT ACCEPT [0:0]\\nCOMMIT\\n"));
const ret: Instruction = { code: 6, jt: 0, jf: 0, k: 1 };
export const verdict: number = interpret([ret], new Uint8Array(1));
export const listing: string = formatFilterProgram([ret]);
export const text: string = formatRuleSet(parseRuleSet("-A INPUT -j DROP\\n"));
export const tests: number = parseU32("0=1").length;
export function size(frame: CapturedFrame, ref: FrameRef, totals: RouterTotals): number {
  return frame.data.length + ref.start + totals.packets + LINKTYPE_RAW;
}
export const router: RouterStream = new RouterStream(rules);
export const app = createApp({ store: new MemoryRuleSetStore() });
export const packets: number = rules.counters().accepted.packets;
`;
      const tsc = ["run", "-A", "npm:typescript@6.0.3/tsc", "-p", dir];
      await Deno.writeTextFile(`${dir}/index.ts`, source);
      const good = await _run(Deno.execPath(), tsc, { cwd: dir });
      assert.equal(good.code, 0, new TextDecoder().decode(good.stdout) + good.stderr);
      // The types are real, not `any`: a wrong one is refused.
      await Deno.writeTextFile(
        `${dir}/index.ts`,
        source.replace("packets: number", "packets: string"),
      );
      const bad = await _run(Deno.execPath(), tsc, { cwd: dir });
      assert.match(
        new TextDecoder().decode(bad.stdout),
        /TS2322: Type 'number' is not assignable to type 'string'/,
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "npm package: npm pack ships the bundles, the executable and the declarations",
  ignore: _version(["npm", "--version"]) === undefined,
  async fn() {
    await _build();
    const run = await _run("npm", ["pack", "--dry-run", "--json"], { cwd: ROOT + "npm" });
    assert.equal(run.code, 0, run.stderr);
    const [pack] = JSON.parse(new TextDecoder().decode(run.stdout));
    const files = new Set(pack.files.map((f: { path: string }) => f.path));
    const manifest = JSON.parse(await Deno.readTextFile(ROOT + "npm/package.json"));
    const exported = Object.values(manifest.exports as Record<string, Record<string, string>>)
      .flatMap((entry) => [entry.types, entry.default].map((path) => path.replace(/^\.\//, "")));
    assert.deepEqual(
      Object.keys(manifest.exports),
      [".", "./bpf", "./capture", "./filter", "./u32", "./rules", "./stream", "./server"],
    );
    for (const file of ["package.json", "dist/cli.js", ...exported]) {
      assert.ok(files.has(file), `${file} is in the package`);
    }
    assert.equal(pack.name, "bpfstream");
  },
});
