import assert from "node:assert/strict";
import { interpret } from "./interpret.ts";
import { compile } from "./compile.ts";
import type { Instruction } from "./instruction.ts";
import type { PacketContext } from "./packet_context.ts";
import { SKF_AD_OFF, SKF_LL_OFF, SKF_NET_OFF } from "./opcodes.ts";

const insn = (code: number, k = 0, jt = 0, jf = 0): Instruction => ({ code, jt, jf, k: k >>> 0 });
const RET_A = insn(0x16);
const anc = (field: number) => (SKF_AD_OFF + field) >>> 0;

/** Runs a program in the interpreter and both compile strategies; all must agree. */
function run(program: Instruction[], packet: Uint8Array, context?: PacketContext): number {
  const expected = interpret(program, packet, context);
  assert.equal(compile(program)(packet, context), expected, "closure");
  assert.equal(compile(program, { strategy: "source" })(packet, context), expected, "source");
  return expected;
}

const bytes = (...values: number[]) => new Uint8Array(values);

Deno.test("interpret() loads big-endian words, halfwords and bytes", () => {
  const packet = bytes(0x12, 0x34, 0x56, 0x78, 0x9a);
  assert.equal(run([insn(0x20, 1), RET_A], packet), 0x3456789a);
  assert.equal(run([insn(0x28, 3), RET_A], packet), 0x789a);
  assert.equal(run([insn(0x30, 4), RET_A], packet), 0x9a);
  assert.equal(run([insn(0x20, 0), RET_A], bytes(0xff, 0xff, 0xff, 0xfe)), 0xfffffffe);
});

Deno.test("interpret() returns 0 on any out-of-bounds load, also a partial one", () => {
  const packet = bytes(1, 2, 3, 4);
  const accept = insn(0x06, 7);
  assert.equal(run([insn(0x20, 0), accept], packet), 7);
  assert.equal(run([insn(0x20, 1), accept], packet), 0);
  assert.equal(run([insn(0x28, 3), accept], packet), 0);
  assert.equal(run([insn(0x30, 4), accept], packet), 0);
  assert.equal(run([insn(0x01, 2), insn(0x48, 1), accept], packet), 0);
  assert.equal(run([insn(0x01, 2), insn(0x48, 0), accept], packet), 7);
  assert.equal(run([insn(0xb1, 4), accept], packet), 0);
});

Deno.test("interpret() bounds loads by wireLength, end and dataOffset", () => {
  const packet = bytes(9, 9, 1, 2, 3, 4, 5, 6);
  const ctx = { dataOffset: 2, end: 6, wireLength: 100 };
  assert.equal(run([insn(0x20, 0), RET_A], packet, ctx), 0x01020304);
  assert.equal(run([insn(0x30, 4), RET_A], packet, ctx), 0); // past end
  assert.equal(run([insn(0x30, 2), RET_A], packet, { dataOffset: 2, wireLength: 2 }), 0);
  assert.equal(run([insn(0x30, 1), RET_A], packet, { dataOffset: 2, wireLength: 2 }), 2);
  assert.equal(run([insn(0x80), RET_A], packet, ctx), 100); // ld len = wireLength
  assert.equal(run([insn(0x81), insn(0x87), RET_A], packet, { dataOffset: 2 }), 6);
  assert.equal(run([insn(0x80), RET_A], packet, { dataOffset: 2, end: 5 }), 3);
});

Deno.test("interpret() reads the SKF_NET_OFF and SKF_LL_OFF windows", () => {
  // Ethernet-like buffer: mac at 0, network at 4, data (program offset 0) at 6.
  const packet = bytes(0xa0, 0xa1, 0xa2, 0xa3, 0x40, 0x41, 0x60, 0x61);
  const ctx: PacketContext = { macOffset: 0, networkOffset: 4, dataOffset: 6 };
  assert.equal(run([insn(0x30, 0), RET_A], packet, ctx), 0x60);
  assert.equal(run([insn(0x30, SKF_NET_OFF + 1), RET_A], packet, ctx), 0x41);
  assert.equal(run([insn(0x28, SKF_LL_OFF + 2), RET_A], packet, ctx), 0xa2a3);
  // The windows end where positive loads end.
  assert.equal(run([insn(0x30, SKF_NET_OFF + 3), RET_A], packet, ctx), 0x61);
  assert.equal(run([insn(0x30, SKF_NET_OFF + 4), insn(0x06, 1)], packet, ctx), 0);
  assert.equal(
    run([insn(0x30, SKF_NET_OFF + 3), insn(0x06, 1)], packet, { ...ctx, wireLength: 1 }),
    0,
  );
  // No link-layer header: SKF_LL_OFF loads fail.
  assert.equal(run([insn(0x30, SKF_LL_OFF), insn(0x06, 1)], packet, { dataOffset: 6 }), 0);
  // Below SKF_LL_OFF, and between SKF_AD_OFF windows for IND: fail.
  assert.equal(run([insn(0x30, SKF_LL_OFF - 1), insn(0x06, 1)], packet, ctx), 0);
  // Indirect: (X + k) | 0 wraps into the windows.
  assert.equal(run([insn(0x01, SKF_NET_OFF), insn(0x50, 1), RET_A], packet, ctx), 0x41);
  assert.equal(run([insn(0x01, 0xffffffff), insn(0x50, 1), RET_A], packet, ctx), 0x60);
  // MSH reads through the windows too.
  assert.equal(run([insn(0xb1, SKF_NET_OFF), insn(0x87), RET_A], packet, ctx), 0);
  assert.equal(run([insn(0xb1, SKF_LL_OFF + 3), insn(0x87), RET_A], packet, ctx), 12);
});

Deno.test("interpret() does uint32 arithmetic with kernel shift and division rules", () => {
  const p = new Uint8Array(0);
  assert.equal(run([insn(0x00, 0xffffffff), insn(0x04, 2), RET_A], p), 1);
  assert.equal(run([insn(0x00, 1), insn(0x14, 2), RET_A], p), 0xffffffff);
  assert.equal(run([insn(0x00, 0x10001), insn(0x24, 0x10001), RET_A], p), 0x20001);
  assert.equal(run([insn(0x00, 0xffffffff), insn(0x34, 16), RET_A], p), 0x0fffffff);
  assert.equal(run([insn(0x00, 17), insn(0x94, 5), RET_A], p), 2);
  assert.equal(run([insn(0x00, 5), insn(0x84), RET_A], p), 0xfffffffb);
  assert.equal(run([insn(0x00, 1), insn(0x64, 31), RET_A], p), 0x80000000);
  // Shifts by X use the low 5 bits.
  assert.equal(run([insn(0x00, 1), insn(0x01, 33), insn(0x6c), RET_A], p), 2);
  assert.equal(run([insn(0x00, 0x80000000), insn(0x01, 63), insn(0x7c), RET_A], p), 1);
  // Division or modulo by X = 0 returns 0.
  assert.equal(run([insn(0x00, 7), insn(0x3c), insn(0x06, 9)], p), 0);
  assert.equal(run([insn(0x00, 7), insn(0x9c), insn(0x06, 9)], p), 0);
  assert.equal(run([insn(0x00, 7), insn(0x01, 2), insn(0x9c), RET_A], p), 1);
  assert.equal(run([insn(0x00, 0xf0f0), insn(0x01, 0xff00), insn(0xac), RET_A], p), 0x0ff0);
});

Deno.test("interpret() reads sk_buff fields through ancillary loads, ignoring the size", () => {
  const p = new Uint8Array(4);
  const ctx: PacketContext = {
    protocol: 0x86dd,
    pktType: 3,
    ifindex: 7,
    mark: 0xdeadbeef,
    queue: 5,
    hatype: 772,
    rxhash: 0x12345678,
    cpu: 3,
    vlanTci: 0x1064,
    vlanPresent: true,
    vlanTpid: 0x88a8,
    random: () => 42,
  };
  const expect: [number, number][] = [
    [0, 0x86dd],
    [4, 3],
    [8, 7],
    [20, 0xdeadbeef],
    [24, 5],
    [28, 772],
    [32, 0x12345678],
    [36, 3],
    [44, 0x1064],
    [48, 1],
    [56, 42],
    [60, 0x88a8],
  ];
  for (const [field, value] of expect) {
    for (const code of [0x20, 0x28, 0x30]) {
      assert.equal(run([insn(code, anc(field)), RET_A], p, ctx), value);
    }
  }
  // ALU_XOR_X: A ^= X.
  assert.equal(
    run([insn(0x00, 0xff00), insn(0x01, 0x0ff0), insn(0x20, anc(40)), RET_A], p),
    0xf0f0,
  );
});

Deno.test("interpret() ends with A on IFINDEX/HATYPE without a device, like the kernel", () => {
  const p = new Uint8Array(4);
  for (const field of [8, 28]) {
    assert.equal(run([insn(0x00, 77), insn(0x20, anc(field)), insn(0x06, 1)], p), 77);
    assert.equal(run([insn(0x20, anc(field)), insn(0x06, 1)], p, { ifindex: 0 }), 0);
  }
  assert.equal(run([insn(0x20, anc(28)), RET_A], p, { ifindex: 2 }), 1); // default hatype: ARPHRD_ETHER
});

Deno.test("interpret() finds netlink attributes (SKF_AD_NLATTR, SKF_AD_NLATTR_NEST)", () => {
  // Attributes (little-endian len, type): [len 6 type 1 + 2 pad] [len 12 type 2 (nested: [len 8 type 9])]
  const p = bytes(6, 0, 1, 0, 0xaa, 0xbb, 0, 0, 12, 0, 2, 0x80, 8, 0, 9, 0, 1, 2, 3, 4);
  const find = (a: number, x: number, field: number) =>
    run([insn(0x00, a), insn(0x01, x), insn(0x20, anc(field)), RET_A], p);
  assert.equal(find(0, 1, 12), 0);
  assert.equal(find(0, 2, 12), 8); // NLA_F_NESTED masked off
  assert.equal(find(0, 3, 12), 0);
  assert.equal(find(8, 9, 16), 12);
  assert.equal(find(8, 2, 16), 0);
  assert.equal(find(17, 9, 12), 0); // a > len - 4
});

Deno.test("interpret() computes SKF_AD_PAY_OFFSET like skb_get_poff", () => {
  const poff = (packet: Uint8Array, ctx: PacketContext) =>
    run([insn(0x20, anc(52)), RET_A], packet, ctx);
  const eth = (type: number, payload: number[]) =>
    new Uint8Array([...Array(12).fill(0), type >> 8, type & 0xff, ...payload]);
  const ipv4 = (proto: number, frag = 0, ihl = 5) => {
    const h = Array(ihl * 4).fill(0);
    h[0] = 0x40 | ihl;
    h[6] = frag >> 8;
    h[7] = frag & 0xff;
    h[9] = proto;
    return h;
  };
  const tcp = (doff: number) => {
    const h = Array(40).fill(0);
    h[12] = doff << 4;
    return h;
  };
  const ctx4 = { protocol: 0x0800, networkOffset: 14 };
  assert.equal(poff(eth(0x0800, [...ipv4(6), ...tcp(8)]), ctx4), 14 + 20 + 32);
  assert.equal(poff(eth(0x0800, [...ipv4(6), ...tcp(2)]), ctx4), 14 + 20 + 20); // at least 20
  assert.equal(poff(eth(0x0800, [...ipv4(17, 0, 6), ...Array(8).fill(0)]), ctx4), 14 + 24 + 8);
  assert.equal(poff(eth(0x0800, [...ipv4(1), ...Array(8).fill(0)]), ctx4), 14 + 20 + 8);
  assert.equal(poff(eth(0x0800, [...ipv4(132), ...Array(12).fill(0)]), ctx4), 14 + 20 + 12);
  // First fragment: L4 header counted; later fragments: not.
  assert.equal(poff(eth(0x0800, [...ipv4(17, 0x2000), ...Array(8).fill(0)]), ctx4), 14 + 28);
  assert.equal(poff(eth(0x0800, [...ipv4(17, 0x0010), ...Array(8).fill(0)]), ctx4), 14 + 20);
  // The dissector starts from skb->protocol: unknown or absent protocol → 0.
  assert.equal(poff(eth(0x0800, [...ipv4(6), ...tcp(5)]), { networkOffset: 14 }), 0);
  // IHL < 5 or a short header: the dissector gives up.
  assert.equal(poff(eth(0x0800, [0x44, ...Array(30).fill(0)]), ctx4), 0);
  assert.equal(poff(eth(0x0800, [0x45, 0, 0]), ctx4), 0);
  // IPv6 with a hop-by-hop header, then UDP.
  const ipv6 = Array(40).fill(0);
  ipv6[0] = 0x60;
  ipv6[6] = 0; // hop-by-hop
  const hop = [17, 0, 0, 0, 0, 0, 0, 0];
  assert.equal(
    poff(eth(0x86dd, [...ipv6, ...hop, ...Array(8).fill(0)]), {
      protocol: 0x86dd,
      networkOffset: 14,
    }),
    14 + 40 + 8 + 8,
  );
  // IPv6 fragment header (first fragment) then TCP.
  const ipv6f = [...ipv6];
  ipv6f[6] = 44;
  assert.equal(
    poff(eth(0x86dd, [...ipv6f, 6, 0, 0, 1, 0, 0, 0, 0, ...tcp(5)]), {
      protocol: 0x86dd,
      networkOffset: 14,
    }),
    14 + 40 + 8 + 20,
  );
  // 802.1Q in the packet, then IPv4/UDP; and a VLAN tag already stripped into the skb.
  assert.equal(
    poff(eth(0x8100, [0, 5, 0x08, 0x00, ...ipv4(17), ...Array(8).fill(0)]), {
      protocol: 0x8100,
      networkOffset: 14,
    }),
    14 + 4 + 20 + 8,
  );
  assert.equal(
    poff(eth(0x0800, [...ipv4(17), ...Array(8).fill(0)]), {
      protocol: 0x0800,
      vlanPresent: true,
      vlanTpid: 0x8100,
      networkOffset: 14,
    }),
    14 + 20 + 8,
  );
  // GRE (version 0, key) carrying IPv4/TCP.
  const gre = [0x20, 0, 0x08, 0x00, 0, 0, 0, 1];
  assert.equal(
    poff(eth(0x0800, [...ipv4(47), ...gre, ...ipv4(6), ...tcp(5)]), ctx4),
    14 + 20 + 8 + 20 + 20,
  );
  // IP-in-IP.
  assert.equal(
    poff(eth(0x0800, [...ipv4(4), ...ipv4(17), ...Array(8).fill(0)]), ctx4),
    14 + 40 + 8,
  );
  // Relative to dataOffset (xt_bpf: data = network header).
  assert.equal(poff(eth(0x0800, [...ipv4(6), ...tcp(5)]), { ...ctx4, dataOffset: 14 }), 40);
});

Deno.test("interpret() keeps scratch memory per run and honours st/stx/ld M", () => {
  const program = [
    insn(0x00, 5),
    insn(0x02, 3),
    insn(0x01, 9),
    insn(0x03, 4),
    insn(0x60, 3),
    insn(0x61, 4),
    insn(0x0c),
    RET_A,
  ];
  assert.equal(run(program, new Uint8Array(0)), 14);
});

Deno.test("interpret() runs libpcap's protochain loops (backward ja)", () => {
  const program = [
    insn(0x00, 0),
    insn(0x04, 1),
    insn(0x35, 3, 1, 0),
    insn(0x05, 0xfffffffd),
    RET_A,
  ];
  assert.equal(interpret(program, new Uint8Array(0)), 3);
  assert.equal(compile(program, { allowBackwardJumps: true })(new Uint8Array(0)), 3);
});

Deno.test("interpret() and compile() fail negative-window loads past the capture when dataOffset lies beyond it", () => {
  // ld [SKF_NET_OFF + 0] with networkOffset 2 and dataOffset 10 on a 4-byte capture:
  // the network window starts inside the capture but the load end must not lie past it.
  const program = [
    { code: 0x20, jt: 0, jf: 0, k: SKF_NET_OFF >>> 0 },
    { code: 0x16, jt: 0, jf: 0, k: 0 },
  ];
  const packet = new Uint8Array([1, 2, 3, 4]);
  const context = { dataOffset: 10, networkOffset: 2, wireLength: 100 };
  for (
    const run of [
      (p: Uint8Array) => interpret(program, p, context),
      compile(program),
      compile(program, { strategy: "source" }),
    ]
  ) {
    assert.equal(run(packet, context), 0);
  }
});

Deno.test("interpret() reports every executed instruction and why the run ended to an observer", () => {
  const ld = (k: number) => ({ code: 0x20, jt: 0, jf: 0, k }); // ld [k]
  const ret = { code: 0x06, jt: 0, jf: 0, k: 1 };
  const cases: [string, Instruction[], string, number][] = [
    ["ret", [{ code: 0x00, jt: 0, jf: 0, k: 3 }, { code: 0x16, jt: 0, jf: 0, k: 0 }], "return", 3],
    ["out of bounds", [ld(8), ret], "out-of-bounds", 0],
    ["no device", [{ code: 0x00, jt: 0, jf: 0, k: 5 }, ld(0xfffff008), ret], "no-device", 5],
    ["division by zero", [{ code: 0x3c, jt: 0, jf: 0, k: 0 }, ret], "division-by-zero", 0],
    ["backward jumps", [{ code: 0x05, jt: 0, jf: 0, k: 0xffffffff }, ret], "backward-jumps", 0],
  ];
  for (const [name, program, end, result] of cases) {
    const seen: { pc: number; next: number; end?: string; offset: number; size: number }[] = [];
    const got = interpret(program, new Uint8Array(10), {}, (step) => {
      seen.push({
        pc: step.pc,
        next: step.next,
        end: step.end,
        offset: step.loadOffset,
        size: step.loadSize,
      });
    });
    assert.equal(got, result, name);
    assert.equal(got, interpret(program, new Uint8Array(10)), name);
    const last = seen[seen.length - 1];
    assert.equal(last.end, end, name);
    assert.equal(last.next, -1, name);
    assert.ok(seen.slice(0, -1).every((step) => step.end === undefined && step.next >= 0), name);
    if (end === "out-of-bounds") assert.deepEqual([last.offset, last.size], [8, 4]);
  }
});

Deno.test("interpret() refuses a program changed after it was checked, with the place", () => {
  const changes: [string, Instruction][] = [
    ["load", insn(0x18)], // BPF_LD with an unknown mode
    ["store", insn(0x0a)], // BPF_ST with size bits
    ["alu", insn(0xb4)], // BPF_ALU op 0xb0
    ["jump", insn(0x55)], // BPF_JMP op 0x50
    ["misc", insn(0x0f)], // BPF_MISC with an unknown op
  ];
  for (const [name, changed] of changes) {
    const program = [insn(0x00, 1), RET_A];
    assert.equal(interpret(program, bytes()), 1, name);
    program[0] = changed; // the array is remembered as checked: do not do this
    assert.throws(
      () => interpret(program, bytes()),
      (error) =>
        error instanceof RangeError &&
        error.message ===
          `Cannot interpret program: opcode "0x${changed.code.toString(16)}" at instruction 0 ` +
            "changed after validation",
      name,
    );
  }
  const program = [insn(0x00, 1), RET_A];
  interpret(program, bytes());
  program[1] = insn(0x00, 2); // no ret any more
  assert.throws(() => interpret(program, bytes()), /ran past the last instruction/);
});
