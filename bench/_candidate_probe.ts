/**
 * Private probe (issue 11, per-frame candidate work): what the index walk
 * of the Wasm classifier's trees (every chain a tree, as `strategy: "wasm"`
 * builds them) leaves to do per frame, emulated in JavaScript with the
 * rules' own tests: codes collected up to the bound, rule tests run and
 * passed, matched codes (counted without a test), count-only matches, and
 * the rules tested most often with their summaries.
 *
 *   deno run -A bench/_candidate_probe.ts [--rules 10000 | --file R] [--frames 20000] [--top 15]
 *
 * @module
 */
import { parseArgs } from "node:util";
import { generateRuleSet } from "./_rule_set_generator.ts";
import { parseRuleSet } from "../src/rules/parse_rule_set.ts";
import { formatRuleSet } from "../src/rules/format_rule_set.ts";
import { _RuleSetBuilder } from "../src/rules/_rule_set_builder.ts";
import {
  _collectCandidates,
  type _Collected,
  _EMPTY,
  _END,
  type _IndexNode,
  _interval,
  _maxLists,
} from "../src/rules/_rule_index.ts";
import { _loadField } from "../src/rules/_fields.ts";
import { _summariseProgram } from "../src/rules/_summarise_program.ts";
import { _codeFacts, _unimplied } from "../src/rules/_classifier_wasm_facts.ts";
import { type _Guard, _selectiveFirst } from "../src/rules/_guards.ts";
import { _keySlot } from "../src/rules/_key_hash.ts";
import { FrameContext } from "../src/rules/frame_context.ts";
import { createFrameRef } from "../src/rules/frame_ref.ts";
import { _fillWindow } from "../src/rules/_frame_state.ts";
import { _frameClass } from "../src/rules/_frame_class.ts";
import { _newFrameState } from "../src/rules/_new_frame_state.ts";
import { _BASE_NETWORK } from "../src/rules/_match_tests.ts";
import { _T_ACCEPT, _T_DROP, _T_JUMP, _T_NONE, _T_RETURN } from "../src/rules/_classifier.ts";

const { values } = parseArgs({
  options: {
    capture: { type: "string", default: new URL("./data/mixed_1m.pcap", import.meta.url).pathname },
    rules: { type: "string", default: "10000" },
    file: { type: "string" },
    frames: { type: "string", default: "20000" },
    top: { type: "string", default: "15" },
  },
});

const text = values.file !== undefined
  ? Deno.readTextFileSync(values.file)
  : generateRuleSet(1, { rules: Number(values.rules), policy: "ACCEPT" }).text;
const ruleSet = parseRuleSet(text);
const builder = new _RuleSetBuilder(ruleSet, { strategy: "wasm" });
while (!builder.step());
const roots = builder.indexRoots;
const chains = builder.chainRules;
const fields = builder.fields.fields;
const fieldName = (id: number) => {
  const f = fields[id];
  return `k${f.kind}b${f.base}o${f.offset}s${f.size}${f.msh >= 0 ? "m" + f.msh : ""}`;
};

// Guard checks of exact program matches (run as their guards in the Wasm
// classifier, less the facts of their code): how many are evaluated up to
// the first that fails, in the summary's order and most selective first
// (`_selectiveFirst`, the order the Wasm classifier's tests use).
const factsOf = roots.map((root, c) => _codeFacts(root, chains[c].length));
const selectiveFirst = _selectiveFirst;
const gs = { asIs: 0, selective: 0, costAsIs: 0, costSelective: 0, tests: 0 };
/** A guard's load, weighed: 1 for a record word or a constant offset, 2 after `ldx msh`, 3 with a second nibble. */
const cost = (g: _Guard) => {
  const f = fields[g.field];
  return f.kind !== 0 || f.msh < 0 ? 1 : f.second < 0 ? 2 : 3;
};
function countGuards(c: number, code: number): void {
  const rule = chains[c][code >> 1];
  for (const exact of rule.exactPrograms) {
    if (exact === null || exact.length !== 1) continue;
    const guards = _unimplied(exact[0], factsOf[c][code]);
    gs.tests++;
    let failed = false;
    for (const g of guards) {
      gs.asIs++;
      gs.costAsIs += cost(g);
      const v = _loadField(fields[g.field], state);
      if (v < 0 || ((v & g.mask) >>> 0) < g.lo || ((v & g.mask) >>> 0) > g.hi) {
        failed = true;
        break;
      }
    }
    for (const g of selectiveFirst(guards)) {
      gs.selective++;
      gs.costSelective += cost(g);
      const v = _loadField(fields[g.field], state);
      if (v < 0 || ((v & g.mask) >>> 0) < g.lo || ((v & g.mask) >>> 0) > g.hi) break;
    }
    if (failed) break;
  }
}

const bytes = Deno.readFileSync(values.capture!);
const view = new DataView(bytes.buffer);
const frame = createFrameRef({ bytes, linkType: view.getUint32(20, true) });
const contexts = new FrameContext();
const state = _newFrameState(contexts);
state.frame = frame;
state.bytes = bytes;

const collected: _Collected[] = roots.map((root) => ({
  lists: new Array(Math.max(1, _maxLists(root))).fill(_EMPTY),
  count: 0,
  bound: _END,
}));
const s = {
  frames: 0,
  chainRuns: 0,
  listed: 0,
  codes: 0,
  tests: 0,
  passed: 0,
  matched: 0,
  countOnly: 0,
  countOnlyMatched: 0,
  nonIpSkipped: 0,
};
const testsOf = chains.map((rules) => new Float64Array(rules.length));
const passOf = chains.map((rules) => new Float64Array(rules.length));
const matchedOf = chains.map((rules) => new Float64Array(rules.length));

/** Chains walked on the current frame, and the walks of a chain entered again. */
const walkedThisFrame = new Set<number>();
const repeats = { runs: 0, nodes: 0 };
const nodesByChain = new Float64Array(ruleSet.chains.length);

/** One chain's walk from `after`: the result as the classifier's runners. */
const decidedAt = new Map<string, number>();
function runChain(c: number, resume: boolean, afterIn: number): [number, number] {
  const r = runChainInner(c, resume, afterIn);
  const p = r[0] === -2 || r[0] >= 0 ? r[1] >> 1 : -1;
  const bucket = p < 0 ? "end" : String(2 ** Math.ceil(Math.log2(p + 1)));
  const key = `${ruleSet.chains[c].name} ${bucket}`;
  decidedAt.set(key, (decidedAt.get(key) ?? 0) + 1);
  return r;
}
function runChainInner(c: number, resume: boolean, afterIn: number): [number, number] {
  const into = collected[c];
  if (!resume) {
    into.count = 0;
    into.bound = _END;
    _collectCandidates(roots[c], state, into);
    walkFields.clear();
    const nodesBefore = w.nodes;
    walkStats(roots[c], { bound: _END });
    s.chainRuns++;
    // A chain entered again on the same frame walks the same tree to the same codes.
    nodesByChain[c] += w.nodes - nodesBefore;
    if (walkedThisFrame.has(c)) {
      repeats.runs++;
      repeats.nodes += w.nodes - nodesBefore;
    }
    walkedThisFrame.add(c);
    for (let i = 0; i < into.count; i++) s.listed += into.lists[i].length;
  }
  // Merge the lists in order up to the bound.
  const codes: number[] = [];
  for (let i = 0; i < into.count; i++) {
    for (const code of into.lists[i]) if (code <= into.bound && code > afterIn) codes.push(code);
  }
  codes.sort((a, b) => a - b);
  let after = afterIn;
  for (const code of codes) {
    if (code <= after) continue;
    after = code | 1;
    if (!resume) s.codes++;
    const p = code >> 1;
    const rule = chains[c][p];
    if (rule.base === _BASE_NETWORK && !state.isIp) {
      s.nonIpSkipped++;
      continue;
    }
    if ((code & 1) !== 0) {
      s.tests++;
      testsOf[c][p]++;
      countGuards(c, code);
      if (!rule.test(state)) continue;
      s.passed++;
      passOf[c][p]++;
    } else {
      s.matched++;
      matchedOf[c][p]++;
    }
    if (rule.kind === _T_NONE) {
      s.countOnlyMatched++;
      if ((code & 1) === 0) s.countOnly++;
      continue;
    }
    if (rule.kind === _T_ACCEPT || rule.kind === _T_DROP) return [-2, after];
    if (rule.kind === _T_RETURN) return [-1, after];
    return [p, after];
  }
  return [-1, after];
}

const w = {
  nodes: 0,
  loads: 0,
  exact: 0,
  ranges: 0,
  rangeLevels: 0,
  leaves: 0,
  leafCodes: 0,
  belowBound: 0,
  /** Loads of a field this chain walk already loaded (a walk that loads each field once saves them). */
  repeatedLoads: 0,
};
/** Fields loaded in the current chain walk; loads per field and mask over the run. */
const walkFields = new Set<number>();
const loadsOf = new Map<string, number>();
/** The walk of `_collectCandidates`, counted. */
function walkStats(node: _IndexNode, into: { bound: number }): void {
  for (;;) {
    w.nodes++;
    if (node.least > into.bound) return;
    if ((node.classes & state.frameClass) === 0) {
      if (node.rest === null) return;
      node = node.rest;
      continue;
    }
    if (node.leaf.length > 0) {
      const ends = state.isIp ? node.endsIp : node.endsNotIp;
      if (ends < into.bound) into.bound = ends;
      w.leaves++;
      w.leafCodes += node.leaf.length;
      for (const code of node.leaf) if (code <= into.bound) w.belowBound++;
    }
    if (node.field < 0) {
      if (node.rest === null) return;
      node = node.rest;
      continue;
    }
    w.loads++;
    const fieldKey = `${fieldName(node.field)}&${(node.mask >>> 0).toString(16)}`;
    loadsOf.set(fieldKey, (loadsOf.get(fieldKey) ?? 0) + 1);
    if (walkFields.size === walkFields.add(node.field).size) w.repeatedLoads++;
    const value = _loadField(node.source!, state);
    if (value >= 0) {
      const key = (value & node.mask) >>> 0;
      if (node.keys !== null) {
        w.exact++;
        const slot = _keySlot(node.keys, node.slots!, node.shift, key);
        if (slot >= 0) walkStats(node.children[slot]!, into);
      } else {
        w.ranges++;
        const i = _interval(node.starts!, key);
        for (let j = i < 0 ? 0 : i + node.leaves; j >= 1; j >>= 1) {
          w.rangeLevels++;
          const child = node.children[j];
          if (child !== null) walkStats(child, into);
        }
      }
    }
    if (node.rest === null) return;
    node = node.rest;
  }
}

let p = 24;
const most = Number(values.frames);
const stack: [number, number][] = [];
while (p + 16 <= bytes.length && s.frames < most) {
  frame.start = p + 16;
  frame.capturedLength = view.getUint32(p + 8, true);
  frame.wireLength = view.getUint32(p + 12, true);
  p += 16 + frame.capturedLength;
  contexts.load(frame, undefined);
  state.isIp = contexts.isIp;
  if (state.isIp) state.networkStart = frame.start + state.descriptor.networkOffset;
  _fillWindow(state.networkWindow, bytes, state.network);
  _fillWindow(state.linkWindow, bytes, state.link);
  state.frameClass = _frameClass(state, true);
  s.frames++;
  walkedThisFrame.clear();
  let chain = ruleSet.chains.findIndex((c) => c.name === "INPUT");
  stack.length = 0;
  let [r, after] = runChain(chain, false, -1);
  for (;;) {
    if (r >= 0) {
      const rule = chains[chain][r];
      if (rule.kind === _T_JUMP) stack.push([chain, after]);
      chain = rule.to;
      [r, after] = runChain(chain, false, -1);
      continue;
    }
    if (r === -2) break;
    if (stack.length === 0) break;
    const [back, at] = stack.pop()!;
    chain = back;
    // Re-collect (the probe does not keep the lists across chains).
    collected[chain].count = 0;
    collected[chain].bound = _END;
    _collectCandidates(roots[chain], state, collected[chain]);
    [r, after] = runChain(chain, true, at);
  }
}
const per = (n: number) => (n / s.frames).toFixed(2);
console.log(
  `chains entered again on the same frame: ${per(repeats.runs)} runs, ${
    per(repeats.nodes)
  } nodes per frame; nodes per frame by chain: ${
    ruleSet.chains.map((c, i) => `${c.name} ${per(nodesByChain[i])}`).join(", ")
  }`,
);
console.log(
  `rules ${chains.reduce((n, c) => n + c.length, 0)} frames ${s.frames}: per frame chain runs ${
    per(s.chainRuns)
  } listed ${per(s.listed)} codes ${per(s.codes)} tests ${per(s.tests)} passed ${
    per(s.passed)
  } matched ${per(s.matched)} count-only matched ${per(s.countOnlyMatched)} (untested ${
    per(s.countOnly)
  }) non-IP skipped ${per(s.nonIpSkipped)}`,
);

console.log(
  `walk per frame: nodes ${per(w.nodes)} loads ${per(w.loads)} exact ${per(w.exact)} ranges ${
    per(w.ranges)
  } range levels ${per(w.rangeLevels)} leaves ${per(w.leaves)} leaf codes ${
    per(w.leafCodes)
  } below the bound at the leaf ${per(w.belowBound)} repeated loads ${per(w.repeatedLoads)}`,
);
console.log(
  `exact program guards per frame: ${per(gs.tests)} matches, guards checked ${
    per(gs.asIs)
  } in the summary's order, ${per(gs.selective)} most selective first; weighed ${
    per(gs.costAsIs)
  } / ${per(gs.costSelective)}`,
);
console.log(
  "loads per frame by field and mask (kind, base, offset, size, msh):\n  " +
    [...loadsOf].sort((a, b) => b[1] - a[1]).slice(0, 16).map(([k, n]) => `${k} ${per(n)}`)
      .join(", "),
);
console.log(
  "chain runs by where they end (a decision or jump at position ≤ N, or the chain's end):\n  " +
    [...decidedAt].sort().map(([k, n]) => `${k}: ${(n / s.frames).toFixed(3)}`).join(", "),
);
const kindName = ["count", "ACCEPT", "DROP", "RETURN", "jump", "goto"];
const rows: { c: number; p: number; tests: number }[] = [];
chains.forEach((rules, c) => rules.forEach((_, q) => rows.push({ c, p: q, tests: testsOf[c][q] })));
rows.sort((a, b) => b.tests - a.tests);
// Tests by kind of rule (what makes the tested rules inexact).
const byKind = new Map<string, number>();
for (const row of rows) {
  if (row.tests === 0) break;
  const rule = ruleSet.chains[row.c].rules[row.p];
  const compiled = chains[row.c][row.p];
  const kinds = rule.matches.map((m) =>
    m.kind === "bpf"
      ? ("expression" in m && m.expression !== undefined ? "expr" : "bytecode")
      : m.kind + ("invert" in m && m.invert ? "!" : "")
  ).filter((k) =>
    k !== "comment"
  ).sort().join("+") + ` ${rule.base}`;
  const key = `${kinds} -> ${kindName[compiled.kind]} (alts ${compiled.alternatives.length})`;
  byKind.set(key, (byKind.get(key) ?? 0) + row.tests);
}
// Why the index could not decide the rules it left to their tests, and
// what form each test takes in the Wasm classifier.
{
  const why = new Map<string, [number, number]>();
  const form = new Map<string, number>();
  for (const row of rows) {
    if (row.tests === 0) break;
    const compiled = chains[row.c][row.p];
    const entries = builder.indexEntries[row.c].filter((e) => e.position === row.p);
    const reasons: string[] = [];
    const forms: string[] = [];
    compiled.matches.forEach((m, i) => {
      const k = m.match.kind;
      if (k === "comment") return;
      const exactProgram = compiled.exactPrograms[i] ?? null;
      if (k === "bpf" || k === "u32") {
        if (m.ethernetOnly) {
          // Whether its EN10MB program (what the Wasm module runs on EN10MB
          // frames) has one exact alternative: its guards could decide there.
          const ethernet = m.program === null
            ? null
            : _summariseProgram(m.program, compiled.base, builder.fields);
          const one = ethernet !== null && ethernet.length === 1 && ethernet[0].exact;
          reasons.push(`link-base --expr${one ? " (EN10MB: exact, 1 alt)" : ""}`);
          forms.push("program (EN10MB)");
        } else if (exactProgram !== null) {
          if (m.invert) reasons.push(`! ${k} (exact, ${exactProgram.length} alts)`);
          forms.push(`exact guards${m.invert ? " !" : ""} (${exactProgram.length})`);
        } else {
          reasons.push(`${m.invert ? "! " : ""}${k} not exact`);
          forms.push(`program${m.invert ? " !" : ""}`);
        }
      } else {
        if (m.invert && k !== "protocol" && k !== "address") reasons.push(`! ${k}`);
        if (k === "interface" && "name" in m.match && m.match.name.endsWith("+")) {
          reasons.push("interface wildcard");
        }
        forms.push(`${k}${m.invert ? " !" : ""}`);
      }
    });
    const allExact = entries.length > 0 && entries.every((e) => e.exact);
    if (reasons.length === 0) {
      reasons.push(allExact ? "exact, leaf not split on all its guards" : "?");
    }
    const key = [...new Set(reasons)].sort().join(" + ");
    const got = why.get(key) ?? [0, 0];
    got[0] += row.tests;
    got[1] += passOf[row.c][row.p];
    why.set(key, got);
    for (const f of new Set(forms)) form.set(f, (form.get(f) ?? 0) + row.tests);
  }
  console.log("tests per frame (and passes) by why the index left them:");
  for (const [k, [n, m]] of [...why].sort((a, b) => b[1][0] - a[1][0]).slice(0, 20)) {
    console.log(`  ${(n / s.frames).toFixed(2)} (${(m / s.frames).toFixed(2)})  ${k}`);
  }
  console.log("match tests per frame in the Wasm classifier by form (a test may have several):");
  for (const [k, n] of [...form].sort((a, b) => b[1] - a[1])) {
    console.log(`  ${(n / s.frames).toFixed(2)}  ${k}`);
  }
}
console.log("tests per frame by rule kind:");
for (const [k, n] of [...byKind].sort((a, b) => b[1] - a[1]).slice(0, 25)) {
  console.log(`  ${(n / s.frames).toFixed(2)}  ${k}`);
}
console.log("rules tested most:");
for (const row of rows.slice(0, Number(values.top))) {
  const chain = ruleSet.chains[row.c];
  const compiled = chains[row.c][row.p];
  const line = formatRuleSet({
    table: "filter",
    chains: [{ name: chain.name, policy: null, rules: [chain.rules[row.p]] }],
  }).split("\n")[2];
  const alts = compiled.alternatives.map((gs) =>
    gs.map((g) => `${fieldName(g.field)}&${g.mask.toString(16)}∈[${g.lo},${g.hi}]`).join(" ")
  ).join(" | ");
  console.log(
    `  ${per(row.tests)} tests ${per(passOf[row.c][row.p])} pass: ${chain.name}#${row.p} ${line}`,
  );
  console.log(`      summary: ${alts}`);
}

// The largest leaves of each chain's tree: what they list.
{
  const { _IndexNode } = await import("../src/rules/_rule_index.ts");
  type Leaf = { c: number; node: InstanceType<typeof _IndexNode>; path: string[] };
  const leaves: Leaf[] = [];
  roots.forEach((root, c) => {
    const stack: Leaf[] = [{ c, node: root, path: [] }];
    while (stack.length > 0) {
      const { node, path } = stack.pop()!;
      if (node.leaf.length > 0) leaves.push({ c, node, path });
      const here = node.field < 0 ? "" : `${fieldName(node.field)}&${node.mask.toString(16)}`;
      node.children.forEach((child, i) => {
        if (child !== null) stack.push({ c, node: child, path: [...path, `${here}=${i}`] });
      });
      if (node.rest !== null) stack.push({ c, node: node.rest, path: [...path, `!${here}`] });
    }
  });
  leaves.sort((a, b) => b.node.leaf.length - a.node.leaf.length);
  for (const { c, node, path } of leaves.slice(0, 4)) {
    const entries = builder.indexEntries[c];
    const codes = [...node.leaf];
    const kinds = new Map<string, number>();
    const keysOf = new Map<string, number>();
    for (const code of codes) {
      const p = code >> 1;
      const rule = chains[c][p];
      const k = `${(code & 1) === 0 ? "matched" : "candidate"} ${kindName[rule.kind]}`;
      kinds.set(k, (kinds.get(k) ?? 0) + 1);
      for (const e of entries) {
        if (e.position !== p) continue;
        const ks = e.guards.map((g) => `${fieldName(g.field)}&${g.mask.toString(16)}`).sort()
          .join(",");
        keysOf.set(ks, (keysOf.get(ks) ?? 0) + 1);
      }
    }
    console.log(
      `leaf ${ruleSet.chains[c].name} ${node.leaf.length} codes depth ${node.depth} path ${
        path.join(" / ")
      }`,
    );
    console.log(`   ${[...kinds].map(([k, n]) => `${k}: ${n}`).join(", ")}`);
    for (const [k, n] of [...keysOf].sort((a, b) => b[1] - a[1]).slice(0, 8)) {
      console.log(`   ${n} entries with keys {${k}}`);
    }
  }
}
