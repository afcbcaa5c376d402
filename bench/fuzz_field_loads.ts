/**
 * Fuzz (review rev16, session 16, issue 11): the Wasm classifier's field
 * loads of session 16 (src/rules/_classifier_wasm_field_loads.ts: X of
 * `ldx 4*([0]&0xf)` staged once per frame as `FR_NET_X`; guards on no bits
 * checking only that their field loads; address words skipping the IP
 * checks their frame class proves) against rule-by-rule evaluation:
 * verdicts, deciding rules and every counter; and the module's own stage
 * (`_stagedRecord(frame, "module")`) against JavaScript's stager, word for
 * word on IP frames (the network window, `FR_NET_X`, class, version).
 *
 * Sets: 20 to 200 rules, half drawn here from shapes that load at X +
 * offset in the network base (`tcp`/`udp` ports, `u32` `0>>22&0x3C@k`,
 * nested `@`), guards on no bits (`ip[k] & 0 = 0`, `tcp[k] & 0 = 0`, `u32
 * "k&0=0"`, `"0>>22&0x3C@k&0=0"`), IPv4 and IPv6 `-s/-d` (with `-p`, so the
 * walk narrows the class), link-base `ether`/`vlan` fields, `!`, user
 * chains by `-j`/`-g`, RETURN, count-only rules; half from
 * bench/_rule_set_generator.ts (negation 0.1–0.4, 0–4 user chains).
 * Frames: the examples' and corpus' packets (a sample), each whole and cut;
 * their IPv4 headers with every IHL (0–15), version nibbles 0, 4, 5, 6, 15
 * on IPv4 and IPv6 frames (disagreeing with the ethertype), ethertypes
 * swapped, cut at the network header's start and inside it, random header
 * bytes changed.
 *
 * Usage: `deno run -A bench/fuzz_field_loads.ts FIRST_SEED COUNT`; env
 * `BATCH=1` also runs the batch path (frames side by side in one block).
 * Prints the mismatches (at most three sets) and coverage counts.
 */
import {
  _checkFieldLoads,
  _fieldLoadCounts,
  _fieldLoadFrames,
  _fieldLoadSet,
} from "../tests/_field_loads_fuzz.ts";
import { _classKnown, _stagedX } from "../src/rules/_classifier_wasm_field_loads.ts";
import { _guardLoads } from "../src/rules/_classifier_wasm_guards.ts";

const BATCH = Deno.env.get("BATCH") === "1";
const base = Number(Deno.args[0] ?? 1);
const count = Number(Deno.args[1] ?? 100);
const frames = _fieldLoadFrames();
let bad = 0, fallbacks = 0;
for (let s = base; s < base + count; s++) {
  const text = _fieldLoadSet(s);
  let result: string | null;
  try {
    result = _checkFieldLoads(text, frames, BATCH);
  } catch (e) {
    result = "THROW " + e;
  }
  if (result?.startsWith("FALLBACK")) {
    fallbacks++;
    continue;
  }
  if (result !== null) {
    bad++;
    if (bad <= 3) console.log(`seed ${s}: ${result}\n${text}\n`);
  }
}
console.log(`seeds ${base}..${base + count - 1} frames ${frames.length}`);
console.log(
  `mismatches ${bad} fallbacks ${fallbacks} stagedX ${_stagedX.made} guardLoads ${_guardLoads.made} ` +
    `classKnown ${_classKnown.made} recordsCompared ${_fieldLoadCounts.recordsCompared}`,
);
