/**
 * The seed's experiment on the real kernel (issue 8): iperf3 TCP throughput
 * between two network namespaces with no rules, 100 non-matching `-m bpf`
 * rules and the 100 equivalent `-m u32` rules in the receiver's INPUT chain.
 *
 *     sudo deno run -A bench/kernel_iperf.ts [--runs 5] [--seconds 3]
 *
 * Two veth modes: the default (TSO/GSO: TCP hands 64 KB super-packets
 * through netfilter, so rules are walked once per ~44 segments) and
 * `gso_max_segs 1` (one rule walk per 1500-byte packet, as on the seed's
 * NIC without GRO). Runs are interleaved (none, bpf, u32, none, …) to spread
 * the noise of a shared machine; the median is reported. First checks on
 * the recorded corpus packets that the two rules give the kernel's same
 * verdict on every packet. All traffic stays in the two namespaces. The
 * tables are loaded with the iptables backend the harness picks (legacy
 * where it works, else `iptables`; `BPFS_IPTABLES` overrides), and the line
 * above the table names it.
 */
import { parseArgs } from "node:util";
import {
  freePauseMs,
  type HarnessInfo,
  KernelHarness,
  MAX_BPF_RULES,
} from "../tests/kernel/harness.ts";
import { frameOf, type KernelPacket, markOf } from "../tests/kernel/_frames.ts";

const BPF = "4,48 0 0 9,21 0 1 32,6 0 0 1,6 0 0 0"; // ldb [9]; jeq #32 → 1 : 0
const U32 = "6&0xFF=0x20"; // the 4 bytes at 6, low byte (= byte 9, protocol) is 0x20

const { values } = parseArgs({
  args: Deno.args,
  options: { runs: { type: "string", default: "5" }, seconds: { type: "string", default: "3" } },
});
const RUNS = Number(values.runs);
const SECONDS = Number(values.seconds);
/** Rules per configuration: well under the harness's MAX_BPF_RULES programs per table. */
const RULES = 100;
if (RULES > MAX_BPF_RULES) throw new RangeError("Cannot measure: too many -m bpf rules per table");

function pause(programs: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, freePauseMs(programs)));
}

/**
 * Runs a command with a timeout (a wedged kernel leaves iptables in D state;
 * see tests/kernel/README.md): fails instead of hanging the benchmark.
 */
async function sh(args: string[], check = true, stdin?: string): Promise<string> {
  const timeoutMs = (SECONDS + 30) * 1000;
  const child = new Deno.Command(args[0], {
    args: args.slice(1),
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(stdin));
    await writer.close();
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  const output = await Promise.race([
    child.output(),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        try {
          child.kill("SIGKILL");
        } catch { /* gone */ }
        child.unref();
        reject(new Error(`Cannot run '${args.join(" ")}': no answer after ${timeoutMs / 1000} s`));
      }, timeoutMs);
    }),
  ]).finally(() => clearTimeout(timer));
  const text = new TextDecoder().decode(output.stdout);
  if (check && output.code !== 0) {
    throw new Error(
      `Cannot run '${args.join(" ")}': ${new TextDecoder().decode(output.stderr).trim()}`,
    );
  }
  return text;
}

/**
 * The iptables backend the harness picked (legacy where it works: a table
 * replaced with legacy iptables frees its BPF programs in the calling
 * process, with nf_tables from a work item on the system workqueue; see
 * tests/kernel/README.md), set by {@linkcode checkEquivalence}.
 */
let info: HarnessInfo | undefined;

/** `iptables-restore` of the harness's backend, with its lock wait. */
function restoreCommand(): string[] {
  const backend = info?.backend ?? "system";
  return backend === "system"
    ? ["iptables-restore"]
    : backend === "legacy"
    ? ["iptables-legacy-restore", "--wait=10"]
    : [`iptables-${backend}-restore`];
}

/** The kernel gives both rules the same verdict on every recorded packet. */
async function checkEquivalence(): Promise<string> {
  const packets = (JSON.parse(
    await Deno.readTextFile(new URL("../tests/data/kernel/packets.json", import.meta.url)),
  ) as { packets: KernelPacket[] }).packets;
  const harness = await KernelHarness.open();
  info = harness.info;
  try {
    const result = await harness.run(
      packets.map((p) => ({
        frame: frameOf(p),
        family: p.family,
        mark: markOf(p.id),
        tag: p.id + 1,
      })),
      [`-m bpf --bytecode "${BPF}"`, `-m u32 --u32 "${U32}"`],
    );
    let delivered = 0;
    let matched = 0;
    result.delivered.forEach((d, i) => {
      if (!d) return;
      delivered++;
      if (result.matched[0][i] !== result.matched[1][i]) {
        throw new Error(
          `bpf and u32 rules differ on packet ${packets[i].id} (${packets[i].source})`,
        );
      }
      if (result.matched[0][i]) matched++;
    });
    return `same kernel verdict on all ${delivered} delivered corpus packets (${matched} matched)`;
  } finally {
    await harness.close();
  }
}

function median(values: number[]): number {
  const sorted = values.slice().sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

async function measure(mode: "default" | "gso_max_segs 1"): Promise<Record<string, number[]>> {
  const id = `${Deno.pid}${mode === "default" ? "d" : "s"}`;
  const [a, b] = [`bpfs-${id}-a`, `bpfs-${id}-b`];
  const [va, vb] = [`bia${id}`.slice(0, 15), `bib${id}`.slice(0, 15)];
  let server: Deno.ChildProcess | undefined;
  let loaded = 0; // BPF programs in the receiver's filter table
  try {
    await sh(["ip", "netns", "add", a]);
    await sh(["ip", "netns", "add", b]);
    await sh(["ip", "link", "add", va, "netns", a, "type", "veth", "peer", "name", vb, "netns", b]);
    for (const [ns, dev, address] of [[a, va, "10.198.1.1/24"], [b, vb, "10.198.1.2/24"]]) {
      await sh(["ip", "-n", ns, "addr", "add", address, "dev", dev]);
      if (mode !== "default") await sh(["ip", "-n", ns, "link", "set", dev, "gso_max_segs", "1"]);
      await sh(["ip", "-n", ns, "link", "set", "lo", "up"]);
      await sh(["ip", "-n", ns, "link", "set", dev, "up"]);
    }
    server = new Deno.Command("ip", {
      args: ["netns", "exec", b, "iperf3", "-s", "-B", "10.198.1.2", "-p", "5201"],
      stdout: "null",
      stderr: "null",
    }).spawn();
    // Wait until the server listens (slow under emulation: a fixed 0.5 s was not enough there).
    for (let wait = 0;; wait++) {
      const listening = await sh(["ip", "netns", "exec", b, "ss", "-ltnH", "sport = :5201"]);
      if (listening.trim() !== "") break;
      if (wait >= 200) throw new Error("Cannot measure: iperf3 -s does not listen after 20 s");
      await new Promise((r) => setTimeout(r, 100));
    }
    const rules = {
      none: "",
      bpf: Array(RULES).fill(`-A INPUT -m bpf --bytecode "${BPF}"`).join("\n"),
      u32: Array(RULES).fill(`-A INPUT -m u32 --u32 "${U32}"`).join("\n"),
    };
    const results: Record<string, number[]> = { none: [], bpf: [], u32: [] };
    for (let run = 0; run < RUNS; run++) {
      for (const [name, body] of Object.entries(rules)) {
        const table =
          `*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n${body}\nCOMMIT\n`;
        await sh(["ip", "netns", "exec", b, ...restoreCommand()], true, table);
        // Replacing the bpf table frees its 100 JIT-compiled programs at once:
        // let the deferred frees drain (harness.ts, "Safety limits").
        await pause(loaded);
        loaded = name === "bpf" ? RULES : 0;
        const json = JSON.parse(
          await sh([
            "ip",
            "netns",
            "exec",
            a,
            "iperf3",
            "-c",
            "10.198.1.2",
            "-p",
            "5201",
            "-t",
            String(SECONDS),
            "-J",
          ]),
        );
        const bps = json.end.sum_received.bits_per_second as number;
        results[name].push(bps / 1e9);
        console.error(`[${mode}] run ${run + 1} ${name}: ${(bps / 1e9).toFixed(2)} Gbit/s`);
      }
    }
    return results;
  } finally {
    if (loaded > 0) {
      // Empty the table before the namespace goes, so its programs are freed here, paced.
      const empty =
        "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n";
      await sh(["ip", "netns", "exec", b, ...restoreCommand()], false, empty).catch(() =>
        undefined
      );
      await pause(loaded);
    }
    if (server) {
      try {
        server.kill("SIGTERM");
      } catch { /* already gone */ }
      await server.status;
    }
    await sh(["ip", "netns", "del", a], false);
    await sh(["ip", "netns", "del", b], false);
  }
}

const reason = await KernelHarness.skipReason();
if (reason) {
  console.error(`kernel_iperf: ${reason}`);
  Deno.exit(1);
}
console.log(`Equivalence: ${await checkEquivalence()}.`);
console.log(
  `kernel ${info!.kernel}, ${info!.iptablesVersion}, ` +
    `${
      (await sh(["iperf3", "--version"])).split("\n")[0]
    }, ${navigator.hardwareConcurrency} CPUs; ` +
    `${RUNS} runs × ${SECONDS} s, median\n`,
);
console.log("| veth mode | no rules | 100 × bpf | 100 × u32 | bpf / none | u32 / none |");
console.log("|---|---|---|---|---|---|");
for (const mode of ["default", "gso_max_segs 1"] as const) {
  const r = await measure(mode);
  const [none, bpf, u32] = [median(r.none), median(r.bpf), median(r.u32)];
  console.log(
    `| ${mode} | ${none.toFixed(2)} Gbit/s | ${bpf.toFixed(2)} Gbit/s | ${
      u32.toFixed(2)
    } Gbit/s | ` +
      `${(100 * bpf / none).toFixed(0)}% | ${(100 * u32 / none).toFixed(0)}% |`,
  );
}
