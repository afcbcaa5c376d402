/**
 * Hand-made compare chains the hunt's generator does not make (session 19,
 * issue 12): jeq lists on 16- and 32-bit fields, ascending and descending
 * ladders returning a different value per step, chains on a masked field,
 * `jset` chains on a byte (TCP flags), mixed chains with several return
 * values, and lists on `[x + k]` after `ldx msh` (not chains: the loop or a
 * tree). Writes a `--programs` file for `bench/engine_program_hunt.ts`.
 *
 *     deno run -A bench/_chain_programs.ts --seed 7100 --out /tmp/chains.json
 */
import { parseArgs } from "node:util";
import { SeededRandom } from "./_seeded_random.ts";
import type { Instruction } from "../src/bpf/instruction.ts";

const { values } = parseArgs({
  options: { seed: { type: "string", default: "7100" }, out: { type: "string" } },
});
const r = new SeededRandom(Number(values.seed));
const ins = (code: number, k = 0, jt = 0, jf = 0): Instruction => ({ code, jt, jf, k: k >>> 0 });
const LDB = 0x30, LDH = 0x28, LDW = 0x20, LDH_IND = 0x48, LDX_MSH = 0xb1, AND = 0x54;
const JEQ = 0x15, JGT = 0x25, JGE = 0x35, JSET = 0x45, RET = 0x06;

/** `load`, then tests `[code, k, value]` that return `value` when true, else go on; `otherwise` last. */
function ladder(load: Instruction[], tests: [number, number, number][], otherwise: number) {
  const body: Instruction[] = [...load];
  tests.forEach(([code, k, value]) => {
    body.push(ins(code, k, 0, 1), ins(RET, value));
  });
  return [...body, ins(RET, otherwise)];
}

/** `load`, then `values` as a jeq list accepting with `accept` (every jump to one return). */
function list(load: Instruction[], keys: number[], accept: number): Instruction[] {
  const n = keys.length;
  const body = keys.map((k, i) => ins(JEQ, k, n - i, 0));
  // Each true edge skips the rest and the reject return.
  return [...load, ...body, ins(RET, 0), ins(RET, accept)];
}

const ports = () => r.pick([22, 25, 53, 80, 123, 443, 993, 3306, 5432, 8080, r.below(65536)]);
const programs: { kind: string; name: string; program: Instruction[] }[] = [];
const add = (name: string, program: Instruction[]) =>
  programs.push({ kind: "hand-chain", name, program });

for (const n of [4, 8, 16, 40, 120]) {
  add(`jeq list of ${n} ports on [36]`, list([ins(LDH, 36)], Array.from({ length: n }, ports), 1));
  add(
    `jeq list of ${n} ethertypes on [12]`,
    list(
      [ins(LDH, 12)],
      Array.from({ length: n }, () => r.pick([0x0800, 0x86dd, 0x0806, 0x8100, r.below(65536)])),
      0xffff,
    ),
  );
  add(
    `jeq list of ${n} addresses on [26]`,
    list([ins(LDW, 26)], Array.from({ length: n }, () => 0xc0a80000 | r.below(65536)), 1),
  );
}
for (const n of [6, 16, 60]) {
  const down = Array.from({ length: n }, (_, i) => 0xffff - Math.floor((i * 0xffff) / n));
  add(
    `descending jgt ladder of ${n} on [12], a value each`,
    ladder([ins(LDH, 12)], down.map((k, i) => [JGT, k, i + 1]), 0),
  );
  const up = Array.from({ length: n }, (_, i) => Math.floor(((i + 1) * 1500) / n));
  add(
    `ascending jge ladder of ${n} on [16] (ip len), a value each`,
    ladder(
      [ins(LDH, 16)],
      up.map((k, i) => [JGE, k, 1000 + i]).reverse() as [number, number, number][],
      7,
    ),
  );
  add(
    `masked field [20] & 0x1fff, jeq list of ${n}`,
    list([ins(LDH, 20), ins(AND, 0x1fff)], Array.from({ length: n }, () => r.below(64)), 1),
  );
}
for (const n of [3, 6, 8]) {
  const flags = [0x02, 0x10, 0x04, 0x01, 0x08, 0x20, 0x40, 0x80].slice(0, n);
  add(
    `jset chain of ${n} on tcp flags [47], a value each`,
    ladder([ins(LDB, 47)], flags.map((k, i) => [JSET, k, 10 + i]), 0),
  );
}
for (const n of [12, 24, 60]) {
  // One bit each (`1 << i` for i below 16), exits on a set or a clear bit in turn.
  const tests: Instruction[] = [ins(LDH, r.pick([34, 36, 20]))];
  for (let i = 0; i < n; i++) {
    const k = 1 << r.below(16);
    const rest = n - i;
    tests.push(i % 2 === 0 ? ins(JSET, k, rest, 0) : ins(JSET, k, 0, rest));
  }
  add(`jset chain of ${n} single bits on a 16-bit field`, [...tests, ins(RET, 0), ins(RET, 1)]);
}
add(
  "mixed jeq/jgt/jge on [23] (ip proto), four values",
  ladder([ins(LDB, 23)], [[JEQ, 6, 1], [JEQ, 17, 2], [JGT, 100, 3], [JGE, 50, 4], [JEQ, 1, 1]], 0),
);
add(
  "mixed jeq/jgt on [34] (src port), three values",
  ladder([ins(LDH, 34)], [[JGT, 49151, 3], [JEQ, 53, 2], [JEQ, 443, 1], [JGT, 1023, 2]], 0),
);
for (const n of [4, 16]) {
  add(
    `jeq list of ${n} ports on [x + 16] after ldx msh [14]`,
    list([ins(LDX_MSH, 14), ins(LDH_IND, 16)], Array.from({ length: n }, ports), 1),
  );
}
void JGE;
const text = JSON.stringify(programs);
if (values.out) Deno.writeTextFileSync(values.out, text);
else console.log(text);
