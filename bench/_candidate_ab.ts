/**
 * Private A/B bench (issue 11, per-frame candidate work): the Wasm
 * classifier's batch path (1 MiB blocks copied once, as the router does) of
 * this tree against `--base` (a tree unpacked with `git archive REV | tar
 * -x -C DIR`), both in one process, passes interleaved per round. Prints
 * the median ns per frame per rule file, and the 0-rule set's.
 *
 *   deno run -A bench/_candidate_ab.ts --base /tmp/cand_base [--rules /tmp/d1k.rules,/tmp/d10k.rules]
 *     [--frames 200000] [--runs 7]
 *
 * @module
 */
import { parseArgs } from "node:util";
import { _baseAndThisTree, type _RuleSetTree } from "./_rule_set_trees.ts";

const { values } = parseArgs({
  options: {
    base: { type: "string" },
    file: { type: "string", default: new URL("./data/mixed_1m.pcap", import.meta.url).pathname },
    rules: {
      type: "string",
      default: "/tmp/d0.rules,/tmp/d100.rules,/tmp/d1k.rules,/tmp/d10k.rules",
    },
    frames: { type: "string", default: "200000" },
    runs: { type: "string", default: "7" },
    strategy: { type: "string", default: "wasm" },
  },
});
if (values.base === undefined) throw new TypeError("Cannot compare: --base DIR is required");

interface _Batch {
  begin(bytes: Uint8Array, verdicts: Uint8Array): void;
  add(frame: unknown, position: number): void;
  finish(): void;
}
interface _Rules {
  classify(frame: unknown): boolean;
  counters(): unknown;
  _batch?: _Batch;
  wasmFallback?: string;
}
type _Tree = _RuleSetTree<_Rules>;

const trees = await _baseAndThisTree<_Rules>(values.base);

const bytes = Deno.readFileSync(values.file!);
const view = new DataView(bytes.buffer);
const linkType = view.getUint32(20, true);
const at: number[] = [];
for (let p = 24; p + 16 <= bytes.length && at.length / 3 < Number(values.frames);) {
  const caplen = view.getUint32(p + 8, true);
  at.push(p + 16, caplen, view.getUint32(p + 12, true));
  p += 16 + caplen;
}
const n = at.length / 3;
const verdicts = new Uint8Array(n);

function _pass(tree: _Tree, rules: _Rules): number {
  const t0 = performance.now();
  if (rules._batch === undefined) {
    const frame = tree.createFrameRef({ bytes, linkType });
    for (let i = 0; i < at.length; i += 3) {
      frame.start = at[i];
      frame.capturedLength = at[i + 1];
      frame.wireLength = at[i + 2];
      verdicts[i / 3] = rules.classify(frame) ? 1 : 0;
    }
    return ((performance.now() - t0) * 1e6) / n;
  }
  const batch = rules._batch;
  let i = 0;
  while (i < at.length) {
    const from = at[i] - 16;
    let j = i;
    while (j < at.length && at[j] + at[j + 1] - from <= 1 << 20) j += 3;
    if (j === i) j += 3;
    const block = bytes.subarray(from, at[j - 3] + at[j - 2]);
    const blockFrame = tree.createFrameRef({ bytes: block, linkType });
    batch.begin(block, verdicts);
    for (let k = i; k < j; k += 3) {
      blockFrame.start = at[k] - from;
      blockFrame.capturedLength = at[k + 1];
      blockFrame.wireLength = at[k + 2];
      batch.add(blockFrame, k / 3);
    }
    batch.finish();
    i = j;
  }
  return ((performance.now() - t0) * 1e6) / n;
}

const cases = values.rules!.split(",").flatMap((file) => {
  const text = Deno.readTextFileSync(file);
  return trees.map(([name, tree]) => {
    const options = values.strategy === "default" ? {} : { strategy: values.strategy };
    const rules = tree.compileRuleSet(tree.parseRuleSet(text), options);
    if (rules.wasmFallback !== undefined) console.log(`${name} ${file}: ${rules.wasmFallback}`);
    return { file, name, tree, rules };
  });
});
// Same verdicts and counters from both trees.
for (let i = 0; i < cases.length; i += 2) {
  _pass(cases[i].tree, cases[i].rules);
  const a = verdicts.slice();
  _pass(cases[i + 1].tree, cases[i + 1].rules);
  const same = a.every((v, k) => v === verdicts[k]) &&
    JSON.stringify(cases[i].rules.counters()) === JSON.stringify(cases[i + 1].rules.counters());
  if (!same) console.log(`DIFFERENT verdicts or counters: ${cases[i].file}`);
}
const times = cases.map(() => [] as number[]);
for (let r = 0; r < Number(values.runs); r++) {
  cases.forEach((c, i) => times[i].push(_pass(c.tree, c.rules)));
}
const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[xs.length >> 1];
console.log(
  `load ${
    Deno.readTextFileSync("/proc/loadavg").split(" ").slice(0, 3).join(" ")
  }; ${n} frames, ${values.runs} runs`,
);
for (let i = 0; i < cases.length; i += 2) {
  const [a, b] = [median(times[i]), median(times[i + 1])];
  console.log(
    `${cases[i].file.padEnd(18)} base ${a.toFixed(1)} ns/frame, this ${b.toFixed(1)} ns/frame (${
      (a / b).toFixed(2)
    }x)`,
  );
}
