/**
 * Private probe (issue 11, big chains): the shape of each chain's index for
 * a generated diverse rule set, and per-frame walk statistics over the first
 * frames of the 1M-frame capture (nodes visited, lists collected, range
 * lookups, candidates and codes merged).
 *
 *   deno run -A bench/_index_probe.ts [--rules 10000] [--frames 20000]
 *
 * @module
 */
import { _newFrameState } from "../src/rules/_new_frame_state.ts";
import { parseArgs } from "node:util";
import { generateRuleSet } from "./_rule_set_generator.ts";
import { parseRuleSet } from "../src/rules/parse_rule_set.ts";
import { _RuleSetBuilder } from "../src/rules/_rule_set_builder.ts";
import { type _IndexNode, _indexSize, _interval, _maxLists } from "../src/rules/_rule_index.ts";
import { _loadField } from "../src/rules/_fields.ts";
import { FrameContext } from "../src/rules/frame_context.ts";
import { createFrameRef } from "../src/rules/frame_ref.ts";
import { _fillWindow, type _Frame } from "../src/rules/_frame_state.ts";
import { _frameClass } from "../src/rules/_frame_class.ts";

const { values } = parseArgs({
  options: {
    file: { type: "string", default: new URL("./data/mixed_1m.pcap", import.meta.url).pathname },
    rules: { type: "string", default: "10000" },
    frames: { type: "string", default: "20000" },
  },
});

const text = generateRuleSet(1, { rules: Number(values.rules), policy: "ACCEPT" }).text;
const ruleSet = parseRuleSet(text);
const builder = new _RuleSetBuilder(ruleSet, { strategy: "closure" });
while (!builder.step());
const roots = builder.indexRoots;
const fields = builder.fields.fields;
const fieldName = (id: number) => {
  const f = fields[id];
  return `k${f.kind}b${f.base}o${f.offset}s${f.size}${f.msh >= 0 ? "msh" + f.msh : ""}`;
};

ruleSet.chains.forEach((chain, c) => {
  const root = roots[c];
  const entries = builder.indexEntries[c];
  const size = _indexSize(root);
  let restLen = 0;
  const restFields: string[] = [];
  for (let n: _IndexNode | null = root; n !== null; n = n.rest) {
    restLen++;
    restFields.push(
      n.field < 0
        ? `leaf(${n.leaf.length})`
        : `${fieldName(n.field)}/${n.mask.toString(16)}${
          n.starts ? "R" + n.starts.length : "E" + n.children.length
        }${n.leaf.length ? "+L" + n.leaf.length : ""}`,
    );
  }
  const noGuard = entries.filter((e) => e.guards.length === 0).length;
  console.log(
    `chain ${chain.name}: rules ${chain.rules.length} entries ${entries.length} (no guard ${noGuard}) nodes ${size.nodes} listed ${size.listed} depth ${size.depth} slots ${size.slots} maxLists ${
      _maxLists(root)
    } rest chain ${restLen}`,
  );
  if (chain.rules.length > 100) console.log("  rest chain: " + restFields.join(" → "));
});

// Per-frame statistics for the entry chain.
const stats = {
  frames: 0,
  nodes: 0,
  loads: 0,
  lists: 0,
  codes: 0,
  ranges: 0,
  rangeChildren: 0,
  hash: 0,
};
let trace = false;
function walk(node: _IndexNode, state: _Frame, into: { bound: number }): void {
  for (;;) {
    stats.nodes++;
    if (trace) {
      console.log(
        `${"  ".repeat(node.depth)}d${node.depth} least ${node.least} bound ${into.bound} cls ${
          node.classes & state.frameClass
        } leaf ${node.leaf.length} ${
          node.field < 0 ? "" : fieldName(node.field) + "/" + node.mask.toString(16) +
            (node.starts ? " R" + node.starts.length : " E" + node.children.length)
        } size ${_indexSize(node).listed}`,
      );
    }
    if (node.least > into.bound) return;
    if ((node.classes & state.frameClass) === 0) {
      if (node.rest === null) return;
      node = node.rest;
      continue;
    }
    if (node.leaf.length > 0) {
      stats.lists++;
      stats.codes += node.leaf.length;
      const ends = state.isIp ? node.endsIp : node.endsNotIp;
      if (ends < into.bound) into.bound = ends;
    }
    if (node.field < 0) {
      // A leaf; a segment's last one goes on to the next segment.
      if (node.rest === null) return;
      node = node.rest;
      continue;
    }
    stats.loads++;
    const value = _loadField(node.source!, state);
    if (value >= 0) {
      const key = (value & node.mask) >>> 0;
      if (node.keys !== null) {
        stats.hash++;
        const i = node.onlyKey >= 0 ? (key === node.onlyKey ? 0 : -1) : (() => {
          const keys = node.keys!;
          for (let h = 0; h < keys.length; h++) {
            if (node.slots![h] >= 0 && keys[h] === key) return node.slots![h];
          }
          return -1;
        })();
        if (i >= 0) walk(node.children[i]!, state, into);
      } else {
        stats.ranges++;
        const i = _interval(node.starts!, key);
        for (let j = i < 0 ? 0 : i + node.leaves; j >= 1; j >>= 1) {
          const child = node.children[j];
          if (child !== null) {
            stats.rangeChildren++;
            walk(child, state, into);
          }
        }
      }
    }
    if (node.rest === null) return;
    node = node.rest;
  }
}

const bytes = Deno.readFileSync(values.file!);
const view = new DataView(bytes.buffer);
const frame = createFrameRef({ bytes, linkType: view.getUint32(20, true) });
const contexts = new FrameContext();
const state = _newFrameState(contexts);
state.frame = frame;
state.bytes = bytes;
const entry = ruleSet.chains.findIndex((c) => c.name === "INPUT");
let p = 24;
const most = Number(values.frames);
while (p + 16 <= bytes.length && stats.frames < most) {
  frame.start = p + 16;
  frame.capturedLength = view.getUint32(p + 8, true);
  frame.wireLength = view.getUint32(p + 12, true);
  p += 16 + frame.capturedLength;
  contexts.load(frame, undefined);
  state.isIp = contexts.isIp;
  _fillWindow(state.networkWindow, bytes, state.network);
  _fillWindow(state.linkWindow, bytes, state.link);
  state.frameClass = _frameClass(state, true);
  stats.frames++;
  trace = stats.frames === 1000 || stats.frames === 1001;
  walk(roots[entry], state, { bound: 0x7fffffff });
}
const per = (n: number) => (n / stats.frames).toFixed(1);
console.log(
  `per frame (entry chain): nodes ${per(stats.nodes)} loads ${per(stats.loads)} lists ${
    per(stats.lists)
  } codes ${per(stats.codes)} hash ${per(stats.hash)} ranges ${per(stats.ranges)} range children ${
    per(stats.rangeChildren)
  }`,
);

// Flat design estimate: each entry under its primary guard (least estimated bucket).
{
  const entries = builder.indexEntries[entry];
  const same = new Map<string, number>();
  const onKey = new Map<string, number>();
  const kk = (g: { field: number; mask: number }) => `${g.field}/${g.mask}`;
  for (const e of entries) {
    for (const g of e.guards) {
      const k = `${kk(g)}/${g.lo}/${g.hi}`;
      same.set(k, (same.get(k) ?? 0) + 1);
      onKey.set(kk(g), (onKey.get(kk(g)) ?? 0) + 1);
    }
  }
  const bits = (m: number) => {
    let n = 0;
    for (let x = m >>> 0; x; x &= x - 1) n++;
    return n;
  };
  const primary = entries.map((e) => {
    let best = -1, bestCost = Infinity;
    e.guards.forEach((g, i) => {
      const frac = (g.hi - g.lo + 1) / 2 ** bits(g.mask);
      const cost = same.get(`${kk(g)}/${g.lo}/${g.hi}`)! + onKey.get(kk(g))! * Math.min(1, frac);
      if (cost < bestCost) {
        bestCost = cost;
        best = i;
      }
    });
    return best;
  });
  const keys = new Set(entries.map((e, i) => primary[i] < 0 ? "none" : kk(e.guards[primary[i]])));
  const holds = (g: { field: number; mask: number; lo: number; hi: number }) => {
    const v = _loadField(fields[g.field], state);
    if (v < 0) return false;
    const m = (v & g.mask) >>> 0;
    return m >= g.lo && m <= g.hi;
  };
  let p2 = 24, frames = 0, prim = 0, all = 0, boundSum = 0;
  while (p2 + 16 <= bytes.length && frames < 5000) {
    frame.start = p2 + 16;
    frame.capturedLength = view.getUint32(p2 + 8, true);
    frame.wireLength = view.getUint32(p2 + 12, true);
    p2 += 16 + frame.capturedLength;
    contexts.load(frame, undefined);
    state.isIp = contexts.isIp;
    _fillWindow(state.networkWindow, bytes, state.network);
    _fillWindow(state.linkWindow, bytes, state.link);
    state.frameClass = _frameClass(state, true);
    frames++;
    let bound = Infinity;
    for (const e of entries) {
      if (e.position > bound) break;
      if ((e.classes & state.frameClass) === 0) continue;
      const ok = e.guards.every(holds);
      const pr = primary[entries.indexOf(e)];
      if (pr < 0 || holds(e.guards[pr])) prim++;
      if (ok) all++;
      if (ok && e.exact && e.ends && (state.isIp || (e.ends & 2))) bound = e.position;
    }
    boundSum += bound === Infinity ? 5521 : bound;
  }
  console.log(
    `flat: keys ${keys.size} per frame: primary-holds ${(prim / frames).toFixed(1)} all-hold ${
      (all / frames).toFixed(1)
    } mean bound pos ${(boundSum / frames).toFixed(0)}`,
  );
}

// Key tables (src/rules/_key_tables.ts) of the entry chain.
{
  const { _KeyTableBuilder } = await import("../src/rules/_key_tables.ts");
  const { _collectFromTables, _newTableMerge } = await import("../src/rules/_key_table_walk.ts");
  const { _newBitCandidates, _takeLeast } = await import("../src/rules/_bit_candidates.ts");
  const kb = new _KeyTableBuilder(builder.indexEntries[entry], fields);
  while (!kb.step());
  const ix = kb.index;
  const restSize = _indexSize(ix.rest);
  console.log(
    `key tables: ${ix.tables.length} tables, entries ${ix.code.length}, rest listed ${restSize.listed} nodes ${restSize.nodes}`,
  );
  for (const t of ix.tables) {
    const listed = t.lists.reduce((s, l) => s + l.length, 0);
    console.log(
      `  ${fieldName(t.field.id)}/${t.mask.toString(16)} ${
        t.starts ? "R" + t.starts.length : "E"
      } lists ${t.lists.length} listed ${listed}`,
    );
  }
  const merge = _newTableMerge(ix);
  // Every rule's test passes here (the probe counts what the lists let through, not verdicts).
  const rules = ruleSet.chains[entry].rules.map(() => ({ test: () => true }));
  const bits = _newBitCandidates(ruleSet.chains[entry].rules.length);
  let p3 = 24, frames = 0, codes = 0;
  while (p3 + 16 <= bytes.length && frames < 5000) {
    frame.start = p3 + 16;
    frame.capturedLength = view.getUint32(p3 + 8, true);
    frame.wireLength = view.getUint32(p3 + 12, true);
    p3 += 16 + frame.capturedLength;
    contexts.load(frame, undefined);
    state.isIp = contexts.isIp;
    _fillWindow(state.networkWindow, bytes, state.network);
    _fillWindow(state.linkWindow, bytes, state.link);
    state.frameClass = _frameClass(state, true);
    frames++;
    _collectFromTables(ix, merge, rules, state, bits);
    while (_takeLeast(bits) !== 0x7fffffff) codes++;
  }
  console.log(`key tables per frame: codes ${(codes / frames).toFixed(1)} (every test passing)`);
  // The rest tree's walk on the same frames.
  for (const k of Object.keys(stats) as (keyof typeof stats)[]) stats[k] = 0;
  let p4 = 24;
  while (p4 + 16 <= bytes.length && stats.frames < 5000) {
    frame.start = p4 + 16;
    frame.capturedLength = view.getUint32(p4 + 8, true);
    frame.wireLength = view.getUint32(p4 + 12, true);
    p4 += 16 + frame.capturedLength;
    contexts.load(frame, undefined);
    state.isIp = contexts.isIp;
    _fillWindow(state.networkWindow, bytes, state.network);
    _fillWindow(state.linkWindow, bytes, state.link);
    state.frameClass = _frameClass(state, true);
    stats.frames++;
    walk(ix.rest, state, { bound: 0x7fffffff });
  }
  const per4 = (n: number) => (n / stats.frames).toFixed(1);
  console.log(
    `rest tree per frame: nodes ${per4(stats.nodes)} loads ${per4(stats.loads)} lists ${
      per4(stats.lists)
    } ranges ${per4(stats.ranges)} range children ${per4(stats.rangeChildren)}`,
  );
}
