import assert from "node:assert/strict";
import { assemble } from "./assemble.ts";
import { parseBytecode } from "./parse_bytecode.ts";
import { formatBytecode } from "./format_bytecode.ts";
import { disassemble } from "./disassemble.ts";
import { BpfSyntaxError } from "./errors.ts";

const GOLDEN = new URL("../../tests/data/golden/", import.meta.url);

function golden(name: string) {
  return parseBytecode(Deno.readTextFileSync(new URL(`tcpdump/${name}.ddd`, GOLDEN)));
}

function assertSyntaxError(text: string, line: number, column: number, pattern: RegExp) {
  assert.throws(
    () => assemble(text),
    (error: unknown) => {
      assert.ok(error instanceof BpfSyntaxError, `not a BpfSyntaxError: ${error}`);
      assert.equal(error.line, line, `line of: ${error.message}`);
      assert.equal(error.column, column, `column of: ${error.message}`);
      assert.match(error.message, /^Cannot assemble program: /);
      assert.match(error.message, new RegExp(`at line ${line}, column ${column}$`));
      assert.match(error.message, pattern);
      return true;
    },
  );
}

Deno.test("assemble() builds the kernel documentation's examples (filter.rst)", () => {
  // bpf_asm's documented output for the ARP example.
  assert.equal(
    formatBytecode(assemble(`
  ldh [12]
  jne #0x806, drop
  ret #-1
  drop: ret #0
`)) + ",",
    "4,40 0 0 12,21 0 1 2054,6 0 0 4294967295,6 0 0 0,",
  );
  // IPv4 TCP, and ICMP sampled at random 1 in 4.
  assert.equal(
    formatBytecode(assemble(
      "ldh [12]\njne #0x800, drop\nldb [23]\njneq #6, drop\nret #-1\ndrop: ret #0\n",
    )),
    "6,40 0 0 12,21 0 3 2048,48 0 0 23,21 0 1 6,6 0 0 4294967295,6 0 0 0",
  );
  assert.equal(
    formatBytecode(assemble(`  ldh [12]
  jne #0x800, drop
  ldb [23]
  jneq #1, drop
# get a random uint32 number
  ld rand
  mod #4
  jneq #1, drop
  ret #-1
  drop: ret #0
`)),
    "9,40 0 0 12,21 0 6 2048,48 0 0 23,21 0 4 1,32 0 0 4294963256,148 0 0 4,21 0 1 1," +
      "6 0 0 4294967295,6 0 0 0",
  );
  // The seccomp example, with C comments.
  assert.equal(
    formatBytecode(assemble(`
  ld [4]                  /* offsetof(struct seccomp_data, arch) */
  jne #0xc000003e, bad    /* AUDIT_ARCH_X86_64 */
  ld [0]                  /* offsetof(struct seccomp_data, nr) */
  jeq #15, good           /* __NR_rt_sigreturn */
  jeq #231, good          /* __NR_exit_group */
  bad: ret #0             /* SECCOMP_RET_KILL_THREAD */
  good: ret #0x7fff0000   /* SECCOMP_RET_ALLOW */
`)),
    "7,32 0 0 4,21 0 3 3221225534,32 0 0 0,21 2 0 15,21 1 0 231,6 0 0 0,6 0 0 2147418112",
  );
});

Deno.test("assemble() of a hand-written 'tcp port 80' equals tcpdump's program", () => {
  const program = assemble(`
; tcpdump -y EN10MB 'tcp port 80', written by hand
        ldh [12]
        jeq #0x86dd, ip6, ip4
ip6:    ldb [20]
        jeq #6, ip6_ports, reject
ip6_ports:
        ldh [54]
        jeq #80, accept
        ldh [56]
        jeq #80, accept, reject
ip4:    jeq #0x800, L9, reject
L9:     ldb [23]
        jneq #6, reject
        ldh [20]
        jset #0x1fff, reject
        ldxb 4*([14]&0xf)
        ldh [x + 14]
        jeq #80, accept
        ldh [x + 16]
        jeq #80, accept, reject
accept: ret #262144
reject: ret #0
`);
  assert.deepEqual(program, golden("001"));
});

// check-function-length: table (each bpf_asm form beside its encoding)
Deno.test("assemble() accepts every bpf_asm form of every instruction", () => {
  const source = `
    ld #0x800 ; 0
    ldi #5
    ldi 6
    ld #len
    ld len
    ld M[15]
    ld [x + 4]
    ld [%x + 4]
    ld [x+4]
    ld [x + -4]
    ld [12]
    ld [-1048576]
    ldh [x + 2]
    ldh [%x + 2]
    ldh [14]
    ldb [x + 1]
    ldb [%x + 1]
    ldb [23]
    ld #proto ; 18
    ld proto
    ldh #type
    ldb #ifidx
    ld nla
    ld nlan
    ld mark
    ld queue
    ld hatype
    ld rxhash
    ld cpu
    ld vlan_tci
    ld vlan_avail
    ld vlan_pr
    ld poff
    ld rand
    ld #vlan_tpid
    ldx #7 ; 35
    ldxi #8
    ldxi 9
    ldx len
    ldx #len
    ldx M[3]
    ldx 4*([14]&0xf)
    ldxb 4*([14]&0xf)
    st M[1]
    stx M[2]
    add #1 ; 45
    add x
    add %x
    sub #1
    sub x
    mul #3
    mul x
    div #2
    div x
    mod #3
    mod x
    neg
    and #0xff
    and x
    or #0x10
    or x
    xor #5
    xor x
    lsh #2
    lsh x
    rsh #1
    rsh x
    tax
    txa
    ret a ; 69
    ret %a
    ret x
    ret %x
    ret #0
  `;
  const expected: [number, number][] = [
    [0x00, 0x800],
    [0x00, 5],
    [0x00, 6],
    [0x80, 0],
    [0x80, 0],
    [0x60, 15],
    [0x40, 4],
    [0x40, 4],
    [0x40, 4],
    [0x40, 0xfffffffc],
    [0x20, 12],
    [0x20, 0xfff00000],
    [0x48, 2],
    [0x48, 2],
    [0x28, 14],
    [0x50, 1],
    [0x50, 1],
    [0x30, 23],
    [0x20, 0xfffff000],
    [0x20, 0xfffff000],
    [0x28, 0xfffff004],
    [0x30, 0xfffff008],
    [0x20, 0xfffff00c],
    [0x20, 0xfffff010],
    [0x20, 0xfffff014],
    [0x20, 0xfffff018],
    [0x20, 0xfffff01c],
    [0x20, 0xfffff020],
    [0x20, 0xfffff024],
    [0x20, 0xfffff02c],
    [0x20, 0xfffff030],
    [0x20, 0xfffff030],
    [0x20, 0xfffff034],
    [0x20, 0xfffff038],
    [0x20, 0xfffff03c],
    [0x01, 7],
    [0x01, 8],
    [0x01, 9],
    [0x81, 0],
    [0x81, 0],
    [0x61, 3],
    [0xb1, 14],
    [0xb1, 14],
    [0x02, 1],
    [0x03, 2],
    [0x04, 1],
    [0x0c, 0],
    [0x0c, 0],
    [0x14, 1],
    [0x1c, 0],
    [0x24, 3],
    [0x2c, 0],
    [0x34, 2],
    [0x3c, 0],
    [0x94, 3],
    [0x9c, 0],
    [0x84, 0],
    [0x54, 0xff],
    [0x5c, 0],
    [0x44, 0x10],
    [0x4c, 0],
    [0xa4, 5],
    [0xac, 0],
    [0x64, 2],
    [0x6c, 0],
    [0x74, 1],
    [0x7c, 0],
    [0x07, 0],
    [0x87, 0],
    [0x16, 0],
    [0x16, 0],
    [0x0e, 0],
    [0x0e, 0],
    [0x06, 0],
  ];
  assert.deepEqual(
    assemble(source),
    expected.map(([code, k]) => ({ code, jt: 0, jf: 0, k })),
  );
});

Deno.test("assemble() encodes every jump form", () => {
  const program = assemble(`
    jmp L9
    ja L9
    jeq #1, L9, LA
    jeq x, L9
    jeq %x, L9, LA
    jneq #2, LA
    jne x, LA
    jlt #3, L9
    jlt %x, L9
    jle #4, LA
    jle x, LA
    jgt #5, L9, LA
    jgt x, L9
    jge #6, L9
    jge %x, L9, LA
    jset #7, L9, LA
    jset x, L9
L9: ret #1
LA: ret #0
`);
  const at = (index: number, code: number, jt: number, jf: number, k = 0) =>
    assert.deepEqual(program[index], { code, jt, jf, k }, `instruction ${index}`);
  const t = (index: number) => 17 - index - 1; // distance to L9
  const f = (index: number) => 18 - index - 1; // distance to LA
  at(0, 0x05, 0, 0, t(0));
  at(1, 0x05, 0, 0, t(1));
  at(2, 0x15, t(2), f(2), 1);
  at(3, 0x1d, t(3), 0);
  at(4, 0x1d, t(4), f(4));
  at(5, 0x15, 0, f(5), 2);
  at(6, 0x1d, 0, f(6));
  at(7, 0x35, 0, t(7), 3);
  at(8, 0x3d, 0, t(8));
  at(9, 0x25, 0, f(9), 4);
  at(10, 0x2d, 0, f(10));
  at(11, 0x25, t(11), f(11), 5);
  at(12, 0x2d, t(12), 0);
  at(13, 0x35, t(13), 0, 6);
  at(14, 0x3d, t(14), f(14));
  at(15, 0x45, t(15), f(15), 7);
  at(16, 0x4d, t(16), 0);
});

Deno.test("assemble() reads numbers in every base, with signs, and keywords in any case", () => {
  const program = assemble(
    "LD #0x1F\nld #0X1f\nld #0b101\nld #017\nld #0\nld #-1\nld #+7\n" +
      "ld #4294967295\nld #-2147483648\nRET #2\nLdH [X + 1]\nld m[2]\nRet A\n" +
      "# a comment line\n/* a\n   multi-line comment */ tax ; trailing\r\ntxa",
  );
  assert.deepEqual(
    program.map(({ code, k }) => [code, k]),
    [
      [0x00, 0x1f],
      [0x00, 0x1f],
      [0x00, 5],
      [0x00, 15],
      [0x00, 0],
      [0x00, 0xffffffff],
      [0x00, 7],
      [0x00, 0xffffffff],
      [0x00, 0x80000000],
      [0x06, 2],
      [0x48, 1],
      [0x60, 2],
      [0x16, 0],
      [0x07, 0],
      [0x87, 0],
    ],
  );
  // Instructions need no line breaks between them, as in bpf_asm's grammar.
  assert.deepEqual(assemble("ldh [12] ret a"), [
    { code: 0x28, jt: 0, jf: 0, k: 12 },
    { code: 0x16, jt: 0, jf: 0, k: 0 },
  ]);
});

Deno.test("assemble() reports label errors with their place", () => {
  assertSyntaxError("jmp nowhere\nret #0", 1, 5, /undefined label 'nowhere'/);
  assertSyntaxError("L1: ret #0\nL1: ret #1", 2, 1, /duplicate label 'L1'/);
  assertSyntaxError("top: ldh [12]\n  jeq #1, top\nret #0", 2, 11, /goes backward/);
  assertSyntaxError(
    "top: ja top\nret #0",
    1,
    9,
    /jump from instruction 0 to label 'top' \(instruction 0\) goes backward/,
  );
  assertSyntaxError(
    "ldh [12]\nend:",
    2,
    5,
    /expected an instruction after label 'end', found end of text/,
  );
  assertSyntaxError("a1: b1: ret #0", 1, 5, /expected an instruction after label 'a1', found 'b1'/);
  assertSyntaxError("b: ret #0", 1, 1, /labels have at least two characters/);
  assertSyntaxError(
    "jeq #1, L1 , L2, L3\nL1: ret #0\nL2: ret #1",
    1,
    16,
    /expected an instruction, found ','/,
  );
  assertSyntaxError(
    "jneq #1, L1, L2\nL1: ret #0\nL2: ret #1",
    1,
    12,
    /'jneq' takes a single label/,
  );
  const far = "jeq #1, far\n" + "ld #0\n".repeat(256) + "far: ret #0\n";
  assertSyntaxError(far, 1, 9, /is too far \(256 > 255\)/);
  // 255 is still fine, and an unconditional jump may go farther.
  assert.equal(assemble("jeq #1, far\n" + "ld #0\n".repeat(255) + "far: ret #0\n")[0].jt, 255);
  assert.equal(assemble("ja far\n" + "ld #0\n".repeat(300) + "far: ret #0\n")[0].k, 300);
});

Deno.test("assemble() reports syntax errors with line and column", () => {
  assertSyntaxError("", 1, 1, /the program is empty/);
  assertSyntaxError("  ; only a comment\n", 1, 1, /the program is empty/);
  assertSyntaxError("ldh [12]\nfoo #1", 2, 1, /unknown instruction 'foo'/);
  assertSyntaxError("ldh [12]\n  foo", 2, 3, /unknown instruction 'foo'/);
  assertSyntaxError("L1 ret #0", 1, 4, /expected ':' after label 'L1'/);
  assertSyntaxError("ld [12", 1, 7, /expected '\]' after the offset, found end of text/);
  assertSyntaxError("ld [x - 4]", 1, 7, /unexpected character "-"/);
  assertSyntaxError("ldh M[1]", 1, 5, /unexpected 'M' after 'ldh'/);
  assertSyntaxError("ret #0x100000000", 1, 6, /number '0x100000000' is out of range/);
  assertSyntaxError("ret #4294967296", 1, 6, /out of range/);
  assertSyntaxError("ret #-2147483649", 1, 6, /out of range/);
  assertSyntaxError("ret #08", 1, 6, /invalid number '08'/);
  assertSyntaxError("ret #12ab", 1, 6, /invalid number '12ab'/);
  assertSyntaxError("ret\n  #", 2, 4, /expected a number after '#', found end of text/);
  assertSyntaxError("ret 5", 1, 5, /expected '#number', 'a' or 'x' after 'ret', found '5'/);
  assertSyntaxError("ldx 3*([14]&0xf)", 1, 5, /only '4\*\(\[offset\]&0xf\)' is supported/);
  assertSyntaxError("ldxb 4*([14]&0xff)", 1, 6, /only '4\*\(\[offset\]&0xf\)' is supported/);
  assertSyntaxError("add", 1, 4, /expected '#number' or 'x' after 'add', found end of text/);
  assertSyntaxError("jeq #1 L1\nL1: ret #0", 1, 8, /expected ',' after the operand, found 'L1'/);
  assertSyntaxError("ja #3", 1, 4, /expected a label after 'ja', found '#'/);
  assertSyntaxError("ret #0 /* never closed", 1, 8, /unterminated comment/);
  assertSyntaxError("ret #0\n  # not in column one", 2, 3, /expected an instruction, found '#'/);
  assertSyntaxError("ret #0 @", 1, 8, /unexpected character "@"/);
  assertSyntaxError("st M[x]", 1, 6, /expected a scratch index after 'M\[', found 'x'/);
  assertSyntaxError("ld #xor_x", 1, 5, /expected a number after '#', found 'xor_x'/);
});

Deno.test("assemble() output disassembles like the source says", () => {
  const program = assemble("ldh [12]\njeq #0x800, yes, no\nyes: ret #-1\nno: ret #0\n");
  assert.equal(
    disassemble(program),
    "(000) ldh      [12]\n(001) jeq      #0x800           jt 2\tjf 3\n(002) ret      #-1\n" +
      "(003) ret      #0\n",
  );
});
