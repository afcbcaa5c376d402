import assert from "node:assert/strict";
import { assemble } from "./assemble.ts";
import { interpret } from "./interpret.ts";
import { toAssembly } from "./to_assembly.ts";
import { _optimizeProgram } from "./_optimize_program.ts";

/** Packets of every length to 100 bytes, with varied bytes. */
const PACKETS = Array.from(
  { length: 101 },
  (_, n) => Uint8Array.from({ length: n }, (_, i) => (i * 37 + n) & 0xff),
);

/** `source` optimises to `expected` (both `bpf_asm` text) and returns the same on every packet. */
function optimizesTo(source: string, expected: string): void {
  const program = assemble(source);
  const optimized = _optimizeProgram(program);
  assert.equal(toAssembly(optimized), toAssembly(assemble(expected)));
  for (const packet of PACKETS) {
    assert.equal(
      interpret(optimized, packet),
      interpret(program, packet),
      `length ${packet.length}`,
    );
  }
}

Deno.test("constants: ALU on known values, copies, scratch cells and ret a fold to ret #k", () => {
  optimizesTo("ld #2\nadd #3\nret a", "ret #5");
  optimizesTo("ld #7\ntax\nld #1\ntxa\nret a", "ret #7");
  optimizesTo("ld #9\nst M[3]\nld len\nld M[3]\nret a", "ret #9");
  optimizesTo("ldx #4\nld #3\nlsh x\nmul x\nret a", "ret #192");
  // A and X start at 0.
  optimizesTo("ret a\nld #1\nret a", "ret #0");
});

Deno.test("constants: len and packet loads are never known", () => {
  optimizesTo("ld len\nadd #1\nret a", "ld len\nadd #1\nret a");
  optimizesTo("ldh [12]\nadd #0\nret a", "ldh [12]\nret a");
  // A known X turns an X operand into a constant (shifts by its low 5 bits).
  optimizesTo("ldx #33\nld len\nlsh x\nret a", "ld len\nlsh #1\nret a");
});

Deno.test("loads: the same load again goes, or copies the other register; known X makes [x + k] a [k]", () => {
  optimizesTo(
    "ldh [12]\njeq #1, one, two\none: ret #1\ntwo: ldh [12]\nret a",
    "ldh [12]\njeq #1, one, two\none: ret #1\ntwo: ret a",
  );
  optimizesTo(
    "ldh [12]\ntax\nst M[1]\nld len\nldh [12]\nst M[0]\nld M[1]\nadd x\nret a",
    "ldh [12]\ntax\nadd x\nret a",
  );
  optimizesTo(
    "ldh [12]\ntax\nld len\njgt x, one, two\none: ldh [12]\nret a\ntwo: ret #0",
    "ldh [12]\ntax\nld len\njgt x, one, two\none: txa\nret a\ntwo: ret #0",
  );
  // Another size or offset is another value.
  optimizesTo("ldh [12]\ntax\nldb [12]\nadd x\nret a", "ldh [12]\ntax\nldb [12]\nadd x\nret a");
  optimizesTo(
    "ldxb 4*([14]&0xf)\nldb [x + 20]\ntax\nldxb 4*([14]&0xf)\nadd x\nret a",
    "ldxb 4*([14]&0xf)\nldb [x + 20]\nadd x\nret a",
  );
  optimizesTo(
    "ldxb 4*([14]&0xf)\nldb [x + 20]\ntax\nldxb 4*([14]&0xf)\ntxa\nret a",
    "ldxb 4*([14]&0xf)\nldb [x + 20]\ntxa\nret a",
  );
  optimizesTo(
    "ldxb 4*([14]&0xf)\nldb [x + 20]\nldxb 4*([14]&0xf)\nadd x\nret a",
    "ldxb 4*([14]&0xf)\nldb [x + 20]\nadd x\nret a",
  );
  // One value on both sides of a jump decides it.
  optimizesTo("ld len\ntax\njge x, one, two\none: ret #1\ntwo: ret #2", "ret #1");
  optimizesTo("ldx len\njgt x, one, two\none: ret #1\ntwo: ret #2", "ret #2"); // A = 0
  optimizesTo("ld len\njge #0, one, two\none: ret #1\ntwo: ret #2", "ret #1");
  optimizesTo("ld len\njgt #0xffffffff, one, two\none: ret #1\ntwo: ret #2", "ret #2");
  optimizesTo("ld len\njset #0, one, two\none: ret #1\ntwo: ret #2", "ret #2");
  optimizesTo("ldx #10\nldh [x + 2]\nret a", "ldh [12]\nret a");
  // [x + k] past 2^31 stays (a negative offset, or an ancillary field as [k]).
  optimizesTo("ldx #0xfffff000\nld [x + 4]\nret a", "ldx #0xfffff000\nld [x + 4]\nret a");
});

Deno.test("runs of one ALU operation become one", () => {
  optimizesTo("ldh [12]\nadd #1\nadd #2\nsub #4\nret a", "ldh [12]\nadd #4294967295\nret a");
  optimizesTo("ld len\nmul #3\nmul #5\nret a", "ld len\nmul #15\nret a");
  optimizesTo(
    "ld len\nand #0xff0\nand #0x0ff\nor #1\nor #2\nret a",
    "ld len\nand #0xf0\nor #3\nret a",
  );
  optimizesTo("ld len\nxor #5\nxor #5\nret a", "ld len\nret a");
  optimizesTo("ld len\nrsh #3\nrsh #4\nret a", "ld len\nrsh #7\nret a");
  // Shifts of 32 or more in all leave 0; the load stays (it may fail).
  optimizesTo("ldh [12]\nlsh #20\nlsh #20\nret a", "ldh [12]\nret #0");
  optimizesTo("ld len\ndiv #3\ndiv #5\nret a", "ld len\ndiv #15\nret a");
  optimizesTo("ld len\ndiv #0x10000\ndiv #0x10000\nret a", "ret #0");
  optimizesTo("ld len\nneg\nneg\nret a", "ld len\nret a");
  // mod runs are not merged.
  optimizesTo("ld len\nmod #7\nmod #5\nret a", "ld len\nmod #7\nmod #5\nret a");
});

Deno.test("a run is not merged across a jump target", () => {
  const source = "ld len\njgt #10, ta, tb\nta: add #1\ntb: add #2\nret a";
  optimizesTo(source, "ld len\njgt #10, ta, tb\nta: add #1\ntb: add #2\nret a");
});

Deno.test("jumps: known outcomes fold, jumps to ja thread, ja to ret becomes ret", () => {
  optimizesTo("ld #5\njeq #5, yes, no\nyes: ret #1\nno: ret #2", "ret #1");
  optimizesTo(
    "ld len\njeq #1, hop, no\nhop: ja out\nno: ret #2\nout: ld len\nret a",
    "ld len\njeq #1, out, no\nno: ret #2\nout: ret a",
  );
  optimizesTo(
    "ld len\njeq #1, hop, no\nhop: ja out\nno: ret #2\nout: ret #3",
    "ld len\njeq #1, out, no\nno: ret #2\nout: ret #3",
  );
  optimizesTo("ld len\nja out\nret #2\nout: ret #3", "ret #3");
  optimizesTo("ld len\njeq #1, next, next\nnext: ret a", "ld len\nret a");
});

Deno.test("dead code: unread assignments go, loads only when a later one checks their bytes", () => {
  optimizesTo("ld #1\ntax\nld len\nret a", "ld len\nret a");
  optimizesTo("ldb [14]\nldh [20]\nret a", "ldh [20]\nret a");
  optimizesTo("ldh [20]\nldb [14]\nret a", "ldh [20]\nldb [14]\nret a");
  optimizesTo(
    "ldb [14]\nld len\njgt #3, ta, tb\nta: ldh [20]\nret a\ntb: ret #1",
    "ldb [14]\nld len\njgt #3, ta, tb\nta: ldh [20]\nret a\ntb: ret #1",
  );
  // [x + k] after ldx msh: covered by a later one on the same X, or by a [k] 60 bytes further.
  optimizesTo(
    "ldxb 4*([14]&0xf)\nldb [x + 19]\nldh [x + 20]\nret a",
    "ldxb 4*([14]&0xf)\nldh [x + 20]\nret a",
  );
  optimizesTo(
    "ldxb 4*([14]&0xf)\nldh [x + 20]\nldb [x + 19]\nret a",
    "ldxb 4*([14]&0xf)\nldh [x + 20]\nldb [x + 19]\nret a",
  );
  optimizesTo("ldxb 4*([14]&0xf)\nldb [x + 2]\nldb [62]\nret a", "ldb [62]\nret a");
  optimizesTo(
    "ldxb 4*([14]&0xf)\nldb [x + 2]\nldb [61]\nret a",
    "ldxb 4*([14]&0xf)\nldb [x + 2]\nldb [61]\nret a",
  );
  optimizesTo(
    "ldxb 4*([14]&0xf)\nldb [x + 2]\nldxb 4*([15]&0xf)\nldb [x + 3]\nret a",
    "ldxb 4*([14]&0xf)\nldb [x + 2]\nldxb 4*([15]&0xf)\nldb [x + 3]\nret a",
  );
  // Ancillary loads may end the program returning A: they stay.
  optimizesTo("ld #ifidx\nld #1\nret a", "ld #ifidx\nret #1");
  optimizesTo("ldb [14]\nld #ifidx\nldh [20]\nret a", "ldb [14]\nld #ifidx\nldh [20]\nret a");
  // div by X = 0 ends the program returning 0: div x stays unless X is known.
  optimizesTo("ldx len\ndiv x\nld #1\nret a", "ldx len\ndiv x\nret #1");
  optimizesTo("ldx #0\nld len\ndiv x\nret #1", "ret #0");
});

Deno.test("dead code: an unread load goes when an earlier one of its straight run checked its bytes", () => {
  optimizesTo("ldh [20]\nldb [14]\nld len\nret a", "ldh [20]\nld len\nret a");
  optimizesTo(
    "ldxb 4*([14]&0xf)\nldh [x + 20]\nldb [x + 19]\nld len\nret a",
    "ldxb 4*([14]&0xf)\nldh [x + 20]\nld len\nret a",
  );
  // The same header length again: the same X, so its earlier load covers.
  optimizesTo(
    "ldxb 4*([14]&0xf)\nld [x + 20]\nldxb 4*([18]&0xf)\nldxb 4*([14]&0xf)\nldb [x + 19]\nld len\nret a",
    "ldxb 4*([14]&0xf)\nld [x + 20]\nldxb 4*([18]&0xf)\nld len\nret a",
  );
  // A load on another header length: stays.
  optimizesTo(
    "ldxb 4*([14]&0xf)\nld [x + 20]\nldxb 4*([18]&0xf)\nldb [x + 19]\nld len\nret a",
    "ldxb 4*([14]&0xf)\nld [x + 20]\nldxb 4*([18]&0xf)\nldb [x + 19]\nld len\nret a",
  );
  // A jump target between them: a path reaches the second load without the first.
  optimizesTo(
    "ld len\njgt #40, big, small\nbig: ldh [30]\nsmall: ldb [20]\nld len\nret a",
    "ld len\njgt #40, big, small\nbig: ldh [30]\nsmall: ldb [20]\nld len\nret a",
  );
});

Deno.test("a program whose every ret is ret #0 returns 0", () => {
  optimizesTo(
    "ldxb 4*([14]&0xf)\nldb [x + 19]\njgt #3, yes, no\nyes: ret #0\nno: ret #0",
    "ret #0",
  );
  optimizesTo("ldx len\nld [2]\ndiv x\njset #1, yes, no\nyes: ret #0\nno: ret #0", "ret #0");
  // An ancillary load may return A.
  optimizesTo("ld #ifidx\nret #0", "ld #ifidx\nret #0");
  optimizesTo(
    "ldb [14]\njgt #3, yes, no\nyes: ret a\nno: ret #0",
    "ldb [14]\njgt #3, yes, no\nyes: ret a\nno: ret #0",
  );
});

Deno.test("a program with a backward ja is returned as it is", () => {
  const program = [
    { code: 0x00, jt: 0, jf: 0, k: 1 },
    { code: 0x05, jt: 0, jf: 0, k: 1 },
    { code: 0x06, jt: 0, jf: 0, k: 0 },
    { code: 0x05, jt: 0, jf: 0, k: 0xfffffffd },
  ];
  assert.equal(_optimizeProgram(program), program);
});
