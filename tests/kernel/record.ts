/**
 * Records the real kernel's verdicts into tests/data/kernel/*.json.
 *
 *     sudo deno run -A tests/kernel/record.ts [packets-only|corpus|checker|random|ancillary|u32 …]
 *
 * With names, only those tables are recorded (`u32` alone creates no BPF
 * program). `BPFS_IPTABLES` picks the iptables backend (see harness.ts).
 * Needs root, network namespaces, iptables/ip6tables with the bpf, u32, mac
 * and MARK extensions, python3, tcpdump (to compile the corpus expressions
 * for raw IP) and the conformance corpus in ../shared. All traffic stays in
 * two namespaces created and deleted here. Deterministic inputs (seeded);
 * the outputs are the kernel's answers.
 */
import {
  corpusSkipReason,
  loadCases,
  loadFileTable,
  loadPackets,
  networkView,
} from "../_corpus.ts";
import { KernelHarness, MAX_BPF_RULES } from "./harness.ts";
import { frameOf, type KernelFacts, type KernelPacket, markOf, repair, toHex } from "./_frames.ts";
import {
  ALLOWED_OPCODES,
  ancillaryProbes,
  handMadePrograms,
  mulberry32,
  randomInvalidProgram,
  randomValidProgram,
  toBytecode,
  u32Expressions,
} from "./_generate.ts";
import { type CheckerRow, dataUrl, matchOf, type TableRule, type VerdictTable } from "./_tables.ts";

const GENERATOR = "deno run -A tests/kernel/record.ts";
const SEED = 0x62706673; // "bpfs"

function log(message: string): void {
  console.error(`[record] ${message}`);
}

/** Unique IPv4/IPv6 packets of the corpus, repaired, sampled to keep the data small. */
function corpusPackets(): KernelPacket[] {
  const seen = new Set<string>();
  const out: KernelPacket[] = [];
  let large = 0;
  for (const file of Object.keys(loadFileTable()).sort()) {
    loadPackets(file).forEach((packet, index) => {
      const view = networkView(packet);
      if (!view) return;
      const raw = packet.data.subarray(view.dataOffset, view.end);
      const { ip, repaired } = repair(raw, view.ipVersion);
      const key = toHex(ip);
      if (seen.has(key)) return;
      seen.add(key);
      // Keep every packet up to 300 bytes and one larger packet in 6 (of
      // those above 4000 bytes, one in 40: in this corpus, none).
      if (ip.length > 300) {
        large++;
        if (ip.length > 4000 ? large % 40 !== 1 : large % 6 !== 0) return;
      }
      out.push({
        id: out.length,
        source: `${file}#${index}`,
        repaired,
        family: view.ipVersion,
        destination: "host",
        ip: key,
      });
    });
  }
  return out;
}

/** A few packets again with broadcast / multicast / other-host destinations. */
function destinationVariants(base: KernelPacket[], first: number): KernelPacket[] {
  const out: KernelPacket[] = [];
  const v4 = base.filter((p) => p.family === 4 && p.repaired.length === 0).slice(0, 6);
  const v6 = base.filter((p) => p.family === 6 && p.repaired.length === 0).slice(0, 4);
  for (const packet of [...v4, ...v6]) {
    for (const destination of ["broadcast", "multicast", "otherhost"] as const) {
      out.push({
        ...packet,
        id: first + out.length,
        destination,
        source: `${packet.source} (copy of ${packet.id})`,
      });
    }
  }
  return out;
}

function sample<T>(items: readonly T[], count: number, rng: () => number): T[] {
  const copy = items.slice();
  for (let i = copy.length - 1; i > 0; i--) {
    const j = rng() % (i + 1);
    [copy[i], copy[j]] = [copy[j], copy[i]];
  }
  return copy.slice(0, count);
}

function packetsFile(packets: KernelPacket[]): unknown {
  return {
    generator: GENERATOR,
    note: "IP packets sent in Ethernet frames (dst = receiver MAC, or the destination kind; " +
      "src = 02:00:00 + (id + 1) as 3 bytes) from the conformance corpus, repaired as listed",
    packets,
  };
}

async function runTable(
  harness: KernelHarness,
  facts: KernelFacts,
  packets: KernelPacket[],
  rules: TableRule[],
): Promise<VerdictTable> {
  const delivered = new Array<string>(packets.length).fill("0");
  const verdicts = rules.map(() => new Array<string>(packets.length).fill("-"));
  const perBatch = 400; // frames per install; the rules are installed once per batch
  // At most 100 rules per install: -m bpf rules are BPF programs, freed all at
  // once when the table is replaced (see the safety limits in harness.ts).
  const rulesPerBatch = Math.min(100, MAX_BPF_RULES);
  for (let first = 0; first < rules.length; first += rulesPerBatch) {
    const group = rules.slice(first, first + rulesPerBatch);
    for (let start = 0; start < packets.length; start += perBatch) {
      const batch = packets.slice(start, start + perBatch);
      const result = await harness.run(
        batch.map((p) => ({
          frame: frameOf(p),
          family: p.family,
          mark: markOf(p.id),
          tag: p.id + 1,
        })),
        group.map(matchOf),
      );
      batch.forEach((_, i) => {
        const now = result.delivered[i] ? "1" : "0";
        if (first > 0 && delivered[start + i] !== now) {
          throw new Error(`Cannot record: packet ${batch[i].id} delivered only sometimes`);
        }
        delivered[start + i] = now;
        group.forEach((_, g) => {
          verdicts[first + g][start + i] = result.delivered[i]
            ? (result.matched[g][i] ? "1" : "0")
            : "-";
        });
      });
    }
    log(`  rules ${first + group.length} of ${rules.length} done`);
  }
  return {
    generator: GENERATOR,
    kernel: harness.info.kernel,
    iptables: harness.info.iptablesVersion,
    facts,
    packets: packets.map((p) => p.id),
    delivered: delivered.join(""),
    rules,
    verdicts: verdicts.map((row) => row.join("")),
  };
}

/** The corpus expressions compiled by tcpdump for raw IP (≤ 64 instructions). */
async function rawIpPrograms(): Promise<TableRule[]> {
  const dir = await Deno.makeTempDir({ prefix: "bpfs-record-" });
  try {
    const pcap = new Uint8Array(24);
    const view = new DataView(pcap.buffer);
    view.setUint32(0, 0xa1b2c3d4, true);
    view.setUint16(4, 2, true);
    view.setUint16(6, 4, true);
    view.setUint32(16, 262144, true);
    view.setUint32(20, 101, true);
    await Deno.writeFile(`${dir}/raw.pcap`, pcap);
    const version = new TextDecoder().decode(
      (await new Deno.Command("tcpdump", { args: ["--version"], stdout: "piped" }).output()).stdout,
    ).split("\n").find((l) => l.startsWith("libpcap")) ?? "libpcap";
    const rules: TableRule[] = [];
    const seen = new Set<string>();
    for (const c of loadCases()) {
      if (c.base === "network") {
        if (!seen.has(c.bytecode.replace(/,$/, ""))) {
          seen.add(c.bytecode.replace(/,$/, ""));
          rules.push({
            name: `corpus network case: ${c.expr}`,
            bytecode: c.bytecode.replace(/,$/, ""),
          });
        }
      }
    }
    const expressions = [...new Set(loadCases().map((c) => c.expr))].sort();
    for (const expr of expressions) {
      const output = await new Deno.Command("tcpdump", {
        args: ["-r", `${dir}/raw.pcap`, "-ddd", expr],
        stdout: "piped",
        stderr: "piped",
      }).output();
      if (output.code !== 0) continue;
      const lines = new TextDecoder().decode(output.stdout).trim().split("\n");
      if (Number(lines[0]) > 64) continue;
      const bytecode = lines.join(",");
      if (seen.has(bytecode)) continue;
      seen.add(bytecode);
      rules.push({ name: `tcpdump -ddd (${version}, raw IP): ${expr}`, bytecode });
    }
    return rules;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function main(): Promise<void> {
  const corpusReason = corpusSkipReason();
  if (corpusReason) throw new Error(corpusReason);
  const only = new Set(Deno.args);
  if (only.has("packets-only")) {
    const base = corpusPackets();
    const packets = [...base, ...destinationVariants(base, base.length)];
    await Deno.writeTextFile(
      dataUrl("packets.json"),
      JSON.stringify(packetsFile(packets), null, 1) + "\n",
    );
    return;
  }
  // Only the u32 table needs no BPF program (it can be recorded through the
  // legacy backend even where the BPF JIT is unusable).
  const bpf = only.size === 0 || [...only].some((name) => name !== "u32");
  const reason = await KernelHarness.skipReason({ bpf });
  if (reason) throw new Error(reason);
  const want = (name: string) => only.size === 0 || only.has(name);
  const harness = await KernelHarness.open();
  const stop = () => {
    harness.close().finally(() => Deno.exit(130));
  };
  Deno.addSignalListener("SIGINT", stop);
  try {
    const facts: KernelFacts = { ifindex: harness.info.receiverIfindex };
    const base = corpusPackets();
    const packets = [...base, ...destinationVariants(base, base.length)];
    log(`${packets.length} packets (${base.length} from the corpus)`);
    const write = async (name: string, value: unknown) => {
      await Deno.writeTextFile(dataUrl(name), JSON.stringify(value, null, 1) + "\n");
      log(`wrote tests/data/kernel/${name}`);
    };
    await write("packets.json", packetsFile(packets));
    const rng = mulberry32(SEED);
    const hostPackets = base;
    const smallSample = sample(hostPackets, 48, rng);
    const mediumSample = sample(hostPackets, 160, rng);
    const variants = packets.slice(base.length);

    if (want("corpus")) {
      const rules: TableRule[] = [];
      const refused: { name: string; bytecode: string; message: string }[] = [];
      for (const rule of await rawIpPrograms()) {
        const answer = await harness.accepts(4, matchOf(rule));
        if (answer.ok) rules.push(rule);
        else {refused.push({
            ...rule,
            bytecode: rule.bytecode!,
            message: answer.message.split("\n").pop() ?? "",
          });}
      }
      log(
        `corpus: ${rules.length} programs × ${packets.length} packets (${refused.length} refused)`,
      );
      const table = await runTable(harness, facts, packets, rules);
      await write("corpus_programs.json", { ...table, refused });
    }

    if (want("checker") || want("random")) {
      const valid: TableRule[] = [];
      const covered = new Set<number>();
      for (let n = 0; n < 400; n++) {
        const program = randomValidProgram(rng);
        for (const insn of program) covered.add(insn.code);
        valid.push({ name: `random valid #${n}`, bytecode: toBytecode(program) });
      }
      const missing = ALLOWED_OPCODES.filter((c) => !covered.has(c));
      if (missing.length > 0) throw new Error(`random programs miss opcodes ${missing.join(", ")}`);
      const rows: CheckerRow[] = [];
      const check = async (name: string, bytecode: string) => {
        const answer = await harness.accepts(4, `-m bpf --bytecode "${bytecode}"`);
        rows.push({
          name,
          bytecode,
          kernelAccepts: answer.ok,
          ...(answer.ok ? {} : { message: answer.message.split("\n").pop() }),
        });
        return answer.ok;
      };
      const accepted: TableRule[] = [];
      for (const rule of valid) if (await check(rule.name, rule.bytecode!)) accepted.push(rule);
      log(`random valid: kernel accepted ${accepted.length} of ${valid.length}`);
      for (const { name, program } of handMadePrograms()) {
        await check(`hand-made: ${name}`, toBytecode(program));
      }
      for (let n = 0; n < 300; n++) {
        await check(`random invalid #${n}`, toBytecode(randomInvalidProgram(rng)));
      }
      if (want("checker")) {
        await write("checker.json", {
          generator: GENERATOR,
          kernel: harness.info.kernel,
          iptables: harness.info.iptablesVersion,
          rows,
        });
      }
      if (want("random")) {
        const table = await runTable(harness, facts, [...smallSample, ...variants], accepted);
        await write("random_programs.json", table);
      }
    }

    if (want("ancillary")) {
      const rules = ancillaryProbes().map(({ name, program }) => ({
        name,
        bytecode: toBytecode(program),
      }));
      log(`ancillary: ${rules.length} probes`);
      await write(
        "ancillary.json",
        await runTable(harness, facts, [...mediumSample, ...variants], rules),
      );
    }

    if (want("u32")) {
      const rules: TableRule[] = [];
      const refused: { u32: string; message: string }[] = [];
      for (const expr of u32Expressions(mulberry32(SEED + 1), 120)) {
        const answer = await harness.accepts(4, `-m u32 --u32 "${expr}"`);
        if (!answer.ok) {
          refused.push({ u32: expr, message: answer.message.split("\n").pop() ?? "" });
          continue;
        }
        rules.push({ name: `u32: ${expr}`, u32: expr }, {
          name: `u32 negated: ${expr}`,
          u32: expr,
          negate: true,
        });
      }
      log(`u32: ${rules.length / 2} expressions accepted, ${refused.length} refused`);
      const table = await runTable(harness, facts, [...mediumSample, ...variants], rules);
      await write("u32.json", { ...table, refused });
    }
  } finally {
    Deno.removeSignalListener("SIGINT", stop);
    await harness.close();
  }
}

if (import.meta.main) await main();
