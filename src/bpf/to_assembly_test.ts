import assert from "node:assert/strict";
import { toAssembly } from "./to_assembly.ts";
import { assemble } from "./assemble.ts";
import { disassemble } from "./disassemble.ts";
import { parseBytecode } from "./parse_bytecode.ts";
import { BpfValidationError } from "./errors.ts";
import type { Instruction } from "./instruction.ts";

const GOLDEN = new URL("../../tests/data/golden/", import.meta.url);
const SHARED = new URL("../../../shared/", import.meta.url);

function read(path: string): string {
  return Deno.readTextFileSync(new URL(path, GOLDEN));
}

function names(dir: string): string[] {
  return [...Deno.readDirSync(new URL(`${dir}/`, GOLDEN))]
    .filter((entry) => entry.name.endsWith(".ddd"))
    .map((entry) => entry.name.slice(0, -4))
    .sort();
}

/** Opcodes bpf_asm can write: the kernel's 49 plus `ret x`. */
const ASSEMBLABLE = new Set([
  0x00,
  0x20,
  0x28,
  0x30,
  0x40,
  0x48,
  0x50,
  0x60,
  0x80,
  0x01,
  0x61,
  0x81,
  0xb1,
  0x02,
  0x03,
  0x04,
  0x14,
  0x24,
  0x34,
  0x94,
  0x54,
  0x44,
  0xa4,
  0x64,
  0x74,
  0x0c,
  0x1c,
  0x2c,
  0x3c,
  0x9c,
  0x5c,
  0x4c,
  0xac,
  0x6c,
  0x7c,
  0x84,
  0x05,
  0x15,
  0x25,
  0x35,
  0x45,
  0x1d,
  0x2d,
  0x3d,
  0x4d,
  0x06,
  0x16,
  0x0e,
  0x07,
  0x87,
]);
const CONDITIONAL = new Set([0x15, 0x25, 0x35, 0x45, 0x1d, 0x2d, 0x3d, 0x4d]);
const K_IGNORED = new Set([
  0x80,
  0x81,
  0x0c,
  0x1c,
  0x2c,
  0x3c,
  0x9c,
  0x5c,
  0x4c,
  0xac,
  0x6c,
  0x7c,
  0x84,
  0x1d,
  0x2d,
  0x3d,
  0x4d,
  0x16,
  0x0e,
  0x07,
  0x87,
]);

/** The program with the fields its opcodes ignore set to 0 (what bpf_asm can express). */
function normalize(program: readonly Instruction[]): Instruction[] {
  return program.map(({ code, jt, jf, k }) => ({
    code,
    jt: CONDITIONAL.has(code) ? jt : 0,
    jf: CONDITIONAL.has(code) ? jf : 0,
    k: K_IGNORED.has(code) ? 0 : k,
  }));
}

function hasBackwardJump(program: readonly Instruction[]): boolean {
  return program.some(({ code, k }) => code === 0x05 && k >= 0x80000000);
}

Deno.test("toAssembly() → assemble() round-trips every tcpdump golden program", () => {
  let roundTrips = 0;
  for (const name of names("tcpdump")) {
    const program = parseBytecode(read(`tcpdump/${name}.ddd`));
    if (hasBackwardJump(program)) {
      // libpcap's protochain loops back with `ja`; bpf_asm syntax cannot say that here.
      assert.throws(
        () => toAssembly(program),
        (error: unknown) =>
          error instanceof BpfValidationError && error.code === "JUMP_OUT_OF_RANGE" &&
          /jumps backward/.test(error.message),
      );
      continue;
    }
    const back = assemble(toAssembly(program));
    assert.deepEqual(back, normalize(program), name);
    // Ignored fields aside, it is the same program: tcpdump -d prints it identically.
    assert.equal(disassemble(back), read(`tcpdump/${name}.d`), name);
    roundTrips++;
  }
  assert.ok(roundTrips >= 75, `only ${roundTrips} round trips`);
});

Deno.test("toAssembly() → assemble() round-trips every instruction of the bpf_image goldens", () => {
  let count = 0;
  for (const name of names("bpf_image")) {
    const program = parseBytecode(read(`bpf_image/${name}.ddd`));
    const listing = read(`bpf_image/${name}.d`).split("\n");
    program.forEach((insn, index) => {
      if (!ASSEMBLABLE.has(insn.code) || insn.code === 0x05 || CONDITIONAL.has(insn.code)) return;
      const back = assemble(toAssembly([insn]));
      assert.deepEqual(back, normalize([insn]), `${name} ${index}`);
      // Same text after the "(NNN) " index as libpcap's own line for it.
      assert.equal(
        disassemble(back).slice(6, -1),
        listing[index].slice(listing[index].indexOf(")") + 2),
      );
      count++;
    });
  }
  assert.ok(count > 500, `only ${count} instructions`);
});

Deno.test("toAssembly() → assemble() round-trips the conformance corpus", () => {
  let json: string;
  try {
    json = Deno.readTextFileSync(new URL("conformance/filters.json", SHARED));
  } catch {
    console.log("skipped: ../shared/conformance/filters.json is absent");
    return;
  }
  const cases: { bytecode: string }[] = JSON.parse(json).cases;
  for (const { bytecode } of cases) {
    const program = parseBytecode(bytecode);
    if (hasBackwardJump(program)) continue;
    assert.deepEqual(assemble(toAssembly(program)), normalize(program), bytecode);
  }
});

Deno.test("toAssembly() writes labels, one-label jumps and bpf_asm's ancillary names", () => {
  const text = toAssembly([
    { code: 0x20, jt: 0, jf: 0, k: 0xfffff000 },
    { code: 0x28, jt: 0, jf: 0, k: 0xfffff02c },
    { code: 0x30, jt: 0, jf: 0, k: 0xfffff028 },
    { code: 0x20, jt: 0, jf: 0, k: 0xfff00000 },
    { code: 0x35, jt: 0, jf: 2, k: 100 },
    { code: 0x45, jt: 0, jf: 1, k: 1 },
    { code: 0x05, jt: 0, jf: 0, k: 0 },
    { code: 0x06, jt: 0, jf: 0, k: 0xffffffff },
  ]);
  assert.equal(
    text,
    "        ld #proto\n" +
      "        ldh #vlan_tci\n" +
      "        ldb [-4056]\n" +
      "        ld [-1048576]\n" +
      "        jlt #0x64, L7\n" +
      "        jset #0x1, L6, L7\n" +
      "L6:     ja L7\n" +
      "L7:     ret #-1\n",
  );
});

Deno.test("toAssembly() refuses what bpf_asm cannot write, naming the instruction", () => {
  const refuses = (program: Instruction[], code: string, index: number, pattern: RegExp) =>
    assert.throws(() => toAssembly(program), (error: unknown) => {
      assert.ok(error instanceof BpfValidationError);
      assert.equal(error.code, code);
      assert.equal(error.index, index);
      assert.match(error.message, /^Cannot write assembly: instruction \d+ /);
      assert.match(error.message, pattern);
      return true;
    });
  const ret = { code: 0x06, jt: 0, jf: 0, k: 0 };
  refuses([ret, { code: 0x08, jt: 0, jf: 0, k: 0 }], "BAD_OPCODE", 1, /opcode 0x8/);
  refuses([{ code: 0x128, jt: 0, jf: 0, k: 0 }], "BAD_OPCODE", 0, /opcode 0x128/);
  refuses([{ code: 0x15, jt: 1, jf: 0, k: 0 }], "JUMP_OUT_OF_RANGE", 0, /past the end/);
  refuses([ret, { code: 0x05, jt: 0, jf: 0, k: 0 }], "JUMP_OUT_OF_RANGE", 1, /past the end/);
  refuses([ret, { code: 0x05, jt: 0, jf: 0, k: 0xfffffffe }], "JUMP_OUT_OF_RANGE", 1, /backward/);
});
