import assert from "node:assert/strict";
import { runCli } from "./run_cli.ts";
import { _testIo } from "./_test_io.ts";
import { _mixed, _packets, _repeatMixed } from "./_test_capture.ts";

const RULES = new TextDecoder().decode(
  Deno.readFileSync(new URL("../../examples/edge.rules", import.meta.url)),
);
const IS_TCP = "4,48 0 0 9,21 0 1 6,6 0 0 1,6 0 0 0"; // network base: ldb [9]; jeq #6
// ld [SKF_AD_OFF + SKF_AD_PROTOCOL]; not 0x0800 (the Wasm classifier calls back for it: `wasmEscapes`)
const ANCILLARY_NOT_IPV4 = "4,32 0 0 4294963200,21 0 1 2048,6 0 0 0,6 0 0 1";

function _verdictLines(text: string): string[] {
  return text.trimEnd().split("\n");
}

Deno.test("filter --bytecode keeps exactly the packets whose verdict is non-zero", async () => {
  const v = _testIo({ files: { "in.pcap": _mixed } });
  assert.equal(await runCli(["verdicts", "--bytecode", IS_TCP, "in.pcap"], v.io), 0);
  const verdicts = _verdictLines(v.stdoutText());
  const f = _testIo({ stdin: _mixed });
  assert.equal(await runCli(["filter", "--bytecode", IS_TCP], f.io), 0);
  const all = _packets(_mixed);
  const kept = _packets(f.stdout());
  assert.deepEqual(kept, all.filter((_, i) => verdicts[i] !== "-" && verdicts[i] !== "0"));
  assert.ok(kept.length > 0 && kept.length < all.length);
  assert.deepEqual(f.stdout().subarray(0, 24), _mixed.subarray(0, 24), "pcap header kept");
});

Deno.test("filter: accepted plus --drop-to is the input, each in order", async () => {
  const t = _testIo({ stdin: _mixed, files: { "edge.rules": RULES } });
  assert.equal(
    await runCli(["filter", "--rules", "edge.rules", "--drop-to", "drop.pcap"], t.io),
    0,
  );
  const kept = _packets(t.stdout());
  const dropped = _packets(t.written.get("drop.pcap")!);
  assert.equal(kept.length + dropped.length, _packets(_mixed).length);
  const all = _packets(_mixed);
  // Merge back by order of appearance.
  let k = 0, d = 0;
  for (const packet of all) {
    if (
      k < kept.length && packet.every((b, i) => kept[k][i] === b) &&
      packet.length === kept[k].length
    ) k++;
    else {
      assert.deepEqual(dropped[d], packet);
      d++;
    }
  }
  assert.equal(k, kept.length);
});

Deno.test("filter: an accept-all rule set reproduces the input byte for byte, whatever the chunking", async () => {
  const rules = "*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n";
  for (const chunkSize of [1, 7, 100, 1 << 20]) {
    const t = _testIo({ stdin: _mixed, chunkSize, files: { r: rules } });
    assert.equal(await runCli(["filter", "--rules", "r"], t.io), 0);
    assert.deepEqual(t.stdout(), _mixed, `chunk size ${chunkSize}`);
  }
});

Deno.test("filter --stats prints iptables -L -v -x style counters to stderr", async () => {
  const t = _testIo({ files: { "edge.rules": RULES, "in.pcap": _mixed } });
  assert.equal(await runCli(["filter", "--rules", "edge.rules", "--stats", "in.pcap"], t.io), 0);
  const err = t.stderr();
  const policy = /^Chain INPUT \(policy DROP (\d+) packets, (\d+) bytes\)$/m.exec(err);
  assert.ok(policy, err);
  const header =
    "    pkts      bytes target     prot opt in     out     source               destination";
  assert.ok(err.split("\n").includes(header), err);
  assert.match(err, /^Chain MGMT \(1 references\)$/m);
  assert.match(err, /\/\* web \*\/$/m);
  const summary = /^(\d+) packets \(\d+ bytes\): (\d+) accepted \(\d+ bytes\), (\d+) dropped/m.exec(
    err,
  )!;
  assert.equal(Number(summary[1]), _packets(_mixed).length);
  assert.equal(Number(summary[3]), Number(policy[1]), "everything dropped reached the policy");
  assert.equal(Number(summary[2]), _packets(t.stdout()).length);
});

Deno.test("filter --json prints the counters as JSON that add up", async () => {
  const t = _testIo({ stdin: _mixed, files: { "edge.rules": RULES } });
  assert.equal(await runCli(["filter", "--rules", "edge.rules", "--json"], t.io), 0);
  const stats = JSON.parse(t.stderr());
  assert.equal(stats.frames.packets, _packets(_mixed).length);
  assert.equal(stats.accepted.packets + stats.dropped.packets, stats.frames.packets);
  const input = stats.chains.find((c: { name: string }) => c.name === "INPUT");
  assert.equal(input.policy, "DROP");
  assert.match(input.rules[1].rule, /^-A INPUT -m bpf --expr/);
});

Deno.test("filter --base link runs a tcpdump program on the whole frame", async () => {
  const arp = "4,40 0 0 12,21 0 1 2054,6 0 0 262144,6 0 0 0"; // tcpdump -ddd arp
  const network = _testIo({ stdin: _mixed });
  assert.equal(await runCli(["filter", "--bytecode", arp], network.io), 0);
  assert.equal(_packets(network.stdout()).length, 0, "network base never sees ARP");
  const link = _testIo({ stdin: _mixed });
  assert.equal(await runCli(["filter", "--base", "link", "--bytecode", arp], link.io), 0);
  const kept = _packets(link.stdout());
  assert.ok(kept.length > 0);
  for (const frame of kept) assert.equal((frame[12] << 8) | frame[13], 0x0806);
});

Deno.test("filter --expr compiles the expression for the frames", async () => {
  const t = _testIo({ stdin: _mixed });
  assert.equal(await runCli(["filter", "--expr", "udp"], t.io), 0);
  const kept = _packets(t.stdout());
  assert.ok(kept.length > 0);
  for (const frame of kept) assert.equal(frame[14 + 9], 17);
});

Deno.test("filter: a malformed capture mid-stream writes the frames before it, then exits 1", async () => {
  const bad = _mixed.slice();
  // The 4th record's caplen (at its offset 8) becomes 0x7fffffff.
  let at = 24;
  for (let i = 0; i < 3; i++) at += 16 + new DataView(bad.buffer).getUint32(at + 8, true);
  new DataView(bad.buffer).setUint32(at + 8, 0x7fffffff, true);
  const t = _testIo({ stdin: bad, chunkSize: 50 });
  const rules = "*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n";
  t.io.readFile = () => Promise.resolve(new TextEncoder().encode(rules));
  assert.equal(await runCli(["filter", "--rules", "r", "--stats"], t.io), 1);
  assert.deepEqual(t.stdout(), _mixed.subarray(0, at));
  const err = t.stderr();
  assert.match(err, new RegExp(`^bpfstream: <stdin>: Cannot .*byte offset ${at}`, "m"));
  assert.match(err, /^Chain INPUT \(policy ACCEPT 3 packets/m, "stats still printed");
});

Deno.test("filter: rule-file errors name the file, line and column", async () => {
  const t = _testIo({
    stdin: _mixed,
    files: { "bad.rules": "*filter\n:INPUT DROP [0:0]\n-A INPUT -m frob -j ACCEPT\nCOMMIT\n" },
  });
  assert.equal(await runCli(["filter", "--rules", "bad.rules"], t.io), 1);
  assert.match(t.stderr(), /^bpfstream: bad\.rules: Cannot parse rule set: .*line 3/);
  assert.equal(t.stdout().length, 0);
});

Deno.test("filter: a program the checker refuses is a data error before any input", async () => {
  const t = _testIo({ stdin: _mixed });
  assert.equal(await runCli(["filter", "--bytecode", "2,21 5 0 0,6 0 0 0"], t.io), 1);
  assert.equal(
    t.stderr(),
    "bpfstream: --bytecode: Cannot validate program: jump goes past the end (jt=5, jf=0, length 2) at instruction 0\n",
  );
  assert.equal(t.stdout().length, 0);
});

Deno.test("filter: usage errors exit 2", async () => {
  const cases = [
    [],
    ["--rules", "r", "--bytecode", IS_TCP],
    ["--bytecode", IS_TCP, "--base", "middle"],
    ["--bytecode", IS_TCP, "--drop-to", "-"],
    ["--rules", "r", "--base", "link"],
    ["--bytecode", IS_TCP, "a.pcap", "b.pcap"],
    ["--bytecode", IS_TCP, "--max-instructions", "0"],
  ];
  for (const args of cases) {
    const t = _testIo({ stdin: _mixed, files: { r: "*filter\n:INPUT ACCEPT\nCOMMIT\n" } });
    assert.equal(await runCli(["filter", ...args], t.io), 2, args.join(" "));
    assert.match(t.stderr(), /^bpfstream: Cannot run filter: /);
  }
});

Deno.test("filter: a missing input file is a data error naming it", async () => {
  const t = _testIo();
  assert.equal(await runCli(["filter", "--bytecode", IS_TCP, "nope.pcap"], t.io), 1);
  assert.match(t.stderr(), /^bpfstream: nope\.pcap: Cannot open file: /);
});

Deno.test("filter: a closed stdout ends quietly with status 141", async () => {
  const brokenPipe = Object.assign(new Error("Broken pipe"), { name: "BrokenPipe" });
  const t = _testIo({ stdin: _repeatMixed(20000), stdoutError: brokenPipe, stdoutLimit: 100 });
  assert.equal(await runCli(["filter", "--bytecode", IS_TCP, "--stats"], t.io), 141);
  assert.equal(t.stderr(), "");
});

Deno.test("filter: the progress line appears only on a terminal, and is cleared", async () => {
  let clock = 0;
  const now = () => (clock += 700);
  const input = _repeatMixed(200);
  const tty = _testIo({ stdin: input, chunkSize: 4096, terminal: true, now });
  assert.equal(await runCli(["filter", "--bytecode", IS_TCP], tty.io), 0);
  assert.match(tty.stderr(), /^\rbpfstream: \d+ packets, [\d.]+ MiB, \d+ packets\/s/);
  assert.ok(tty.stderr().endsWith("\r\x1b[K"));
  const pipe = _testIo({ stdin: input, chunkSize: 4096, terminal: false, now });
  assert.equal(await runCli(["filter", "--bytecode", IS_TCP], pipe.io), 0);
  assert.equal(pipe.stderr(), "");
  assert.deepEqual(pipe.stdout(), tty.stdout());
});

Deno.test("filter reads recycled input blocks: output identical to the stream path", async () => {
  const input = _repeatMixed(300);
  const rules = new TextEncoder().encode(RULES);
  for (const chunkSize of [1000, 65536]) {
    const viaStream = _testIo({ stdin: input, chunkSize, files: { "edge.rules": rules } });
    const viaBlocks = _testIo({
      stdin: input,
      chunkSize,
      blocks: true,
      files: { "edge.rules": rules },
    });
    for (const t of [viaStream, viaBlocks]) {
      assert.equal(
        await runCli(["filter", "--rules", "edge.rules", "--drop-to", "d.pcap", "--json"], t.io),
        0,
      );
    }
    assert.ok(viaBlocks.stdout().length > 24 && viaBlocks.written.get("d.pcap")!.length > 24);
    assert.deepEqual(viaBlocks.stdout(), viaStream.stdout(), `chunk size ${chunkSize}`);
    assert.deepEqual(viaBlocks.written.get("d.pcap"), viaStream.written.get("d.pcap"));
    assert.equal(viaBlocks.stderr(), viaStream.stderr());
  }
});

Deno.test("filter: an accept-all rule set copies recycled input blocks byte for byte", async () => {
  const input = _repeatMixed(100);
  const t = _testIo({
    stdin: input,
    chunkSize: 4096,
    blocks: true,
    files: { r: "*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n" },
  });
  assert.equal(await runCli(["filter", "--rules", "r", "-"], t.io), 0);
  assert.deepEqual(t.stdout(), input);
});

Deno.test("filter: a file that cannot be opened for block reads is a data error naming it", async () => {
  const t = _testIo({ blocks: true });
  assert.equal(await runCli(["filter", "--bytecode", IS_TCP, "nope.pcap"], t.io), 1);
  assert.match(t.stderr(), /^bpfstream: nope\.pcap: Cannot open file: /);
});

Deno.test("filter --expr/--bytecode matches the same rule from a rule file (the Wasm walk on the link base against the Wasm classifier)", async () => {
  const cases = [
    {
      args: ["--base", "link", "--expr", "tcp port 80"],
      rule: '--base link -m bpf --expr "tcp port 80"',
    },
    { args: ["--expr", "udp or icmp"], rule: '-m bpf --expr "udp or icmp"' },
    { args: ["--bytecode", IS_TCP], rule: `-m bpf --bytecode "${IS_TCP}"` },
  ];
  for (const { args, rule } of cases) {
    const rules = `*filter\n:INPUT DROP [0:0]\n-A INPUT ${rule} -j ACCEPT\nCOMMIT\n`;
    const direct = _testIo({ stdin: _mixed });
    assert.equal(await runCli(["filter", ...args, "--json"], direct.io), 0);
    const indexed = _testIo({ stdin: _mixed, files: { "one.rules": rules } });
    assert.equal(await runCli(["filter", "--rules", "one.rules", "--json"], indexed.io), 0);
    assert.deepEqual(direct.stdout(), indexed.stdout(), rule);
    // The whole --json document: per-rule and policy counters, totals.
    const stats = JSON.parse(direct.stderr());
    assert.deepEqual(stats, JSON.parse(indexed.stderr()), rule);
    assert.ok(stats.chains[0].rules[0].packets > 0, rule);
    const kept = _packets(direct.stdout()).length;
    assert.ok(kept > 0 && kept < _packets(_mixed).length, `${rule}: ${kept} kept`);
  }
});

Deno.test("filter runs a rule file of one rule as the Wasm classifier, or of one program rule as the Wasm walk: the rule-by-rule interpreter's bytes and counters", async () => {
  const input = _repeatMixed(40);
  const accept = (rules: string) => `*filter\n:INPUT ACCEPT [0:0]\n${rules}\nCOMMIT\n`;
  const drop = (rules: string) => `*filter\n:INPUT DROP [0:0]\n${rules}\nCOMMIT\n`;
  // How each set runs: "wasm" (the classifier), "walk" (its program walked), "rule by rule".
  const cases: [string, "wasm" | "walk" | "rule by rule"][] = [
    [accept("-A INPUT -p tcp"), "wasm"], // count-only
    [accept("-A INPUT -p udp -j DROP"), "wasm"],
    [drop("-A INPUT -p udp -j ACCEPT"), "wasm"],
    [accept('-A INPUT -m u32 --u32 "6&0xFF=0x11" -j DROP'), "walk"],
    [drop('-A INPUT -m u32 ! --u32 "0>>22&0x3C@0>>16=53" -j ACCEPT'), "walk"],
    [accept('-A INPUT -m u32 --u32 "6&0xFF=0x11" -j ACCEPT'), "wasm"],
    [accept("-A INPUT -s 10.0.0.0/8 -j RETURN"), "wasm"],
    // A program rule whose target is the policy decides nothing: the Wasm classifier counts it.
    [accept(`-A INPUT -m bpf --bytecode "${IS_TCP}" -j ACCEPT`), "wasm"],
    [accept(`-A INPUT -m bpf --bytecode "${IS_TCP}" -j DROP`), "walk"],
    [accept(`-A INPUT -m bpf ! --bytecode "${IS_TCP}" -j DROP`), "walk"],
    [drop(`-A INPUT -m bpf --bytecode "${IS_TCP}" -j ACCEPT`), "walk"],
    [drop(`-A INPUT -m bpf ! --bytecode "${IS_TCP}" -j ACCEPT`), "walk"],
    [accept('-A INPUT -m bpf --expr "udp or icmp" -j DROP'), "walk"],
    [drop('-A INPUT -m bpf ! --expr "ip6 or tcp port 80" -j ACCEPT'), "walk"],
    [accept('-A INPUT --base link -m bpf ! --expr "arp or udp port 53" -j DROP'), "walk"],
    [drop('-A INPUT --base link -m bpf --expr "arp or udp port 53" -j ACCEPT'), "walk"],
    // A comment always matches: the rule's program is still walked.
    [accept('-A INPUT -m comment --comment "no dns" -m bpf --expr "udp port 53" -j DROP'), "walk"],
    [drop('-A INPUT -m u32 --u32 "6&0xFF=0x11" -m comment --comment "udp" -j ACCEPT'), "walk"],
    // Tests that call back into JavaScript from the Wasm classifier: rule by rule instead.
    [accept('-A INPUT --base link -m bpf --expr "arp or udp port 53" -j ACCEPT'), "rule by rule"],
    [accept(`-A INPUT -m bpf --bytecode "${ANCILLARY_NOT_IPV4}" -j ACCEPT`), "rule by rule"],
  ];
  const run = async (text: string, extra: string[]) => {
    const t = _testIo({ stdin: input, blocks: true, reads: [1000], files: { "one.rules": text } });
    const reports: { wasm?: boolean; installed: boolean; walked: number }[] = [];
    const code = await runCli(["filter", "--rules", "one.rules", "--json", ...extra], {
      ...t.io,
      _walkReport: (report) => void reports.push(report),
    });
    const report = reports[0];
    const how = report.wasm ? "wasm" : report.walked > 0 ? "walk" : "rule by rule";
    return { code, stdout: t.stdout(), stats: JSON.parse(t.stderr()), how };
  };
  for (const [text, how] of cases) {
    const chosen = await run(text, []);
    const reference = await run(text, ["--strategy", "interpret"]);
    assert.equal(chosen.how, how, text);
    assert.equal(reference.how, "rule by rule", text);
    assert.deepEqual({ ...chosen, how: "" }, { ...reference, how: "" }, text);
  }
  // With a JavaScript strategy, or a program of either base (the Wasm walk), the rule stands alone.
  for (const args of [["--strategy", "closure"], ["--base", "link"], ["--base", "network"]]) {
    const t = _testIo({ stdin: input, blocks: true, reads: [1000] });
    const reports: { wasm?: boolean; installed: boolean }[] = [];
    const code = await runCli(["filter", "--expr", "udp", ...args], {
      ...t.io,
      _walkReport: (report) => void reports.push(report),
    });
    assert.equal(code, 0);
    assert.deepEqual(reports.map((r) => [r.wasm, r.installed]), [[false, args[0] === "--base"]]);
  }
});
