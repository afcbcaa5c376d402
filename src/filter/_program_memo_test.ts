import assert from "node:assert/strict";
import {
  _MAX_MEMO_INSTRUCTIONS,
  _MAX_MEMO_KEY,
  _MAX_MEMO_PROGRAMS,
  _memoKey,
  _ProgramMemo,
} from "./_program_memo.ts";
import { compileFilter } from "./compile_filter.ts";
import { _CodeGen } from "./_codegen.ts";
import { _parseFilter } from "./_parser.ts";
import { _optimize } from "./_optimizer.ts";
import { _linearize } from "./_linearize.ts";
import type { Instruction } from "../bpf/instruction.ts";

/** The compiler's pipeline run directly, without the memo. */
function _fresh(expression: string, linkType: number, littleEndian?: boolean): Instruction[] {
  const gen = new _CodeGen(linkType, littleEndian);
  return _linearize(_optimize(gen.finish(_parseFilter(expression, gen), 262144)));
}

Deno.test("compileFilter() compiled twice gives equal programs the caller may change", () => {
  const first = compileFilter("tcp port 8080 and host 10.1.2.3", { linkType: 1 });
  const second = compileFilter("tcp port 8080 and host 10.1.2.3", { linkType: 1 });
  assert.deepEqual(second, first);
  assert.deepEqual(first, _fresh("tcp port 8080 and host 10.1.2.3", 1));
  assert.notEqual(second, first);
  first[0].k = 12345;
  first.pop();
  const third = compileFilter("tcp port 8080 and host 10.1.2.3", { linkType: 1 });
  assert.deepEqual(third, second);
});

Deno.test("compileFilter() keeps the byte order of BSD loopback programs apart", () => {
  // On NULL the file's byte order changes `ip6` (libpcap tests every BSD's
  // family, in that order); on Ethernet it changes nothing.
  const dead = compileFilter("ip6", { linkType: 0 });
  const little = compileFilter("ip6", { linkType: 0, savefileByteOrder: "little-endian" });
  const big = compileFilter("ip6", { linkType: 0, savefileByteOrder: "big-endian" });
  assert.deepEqual(dead, _fresh("ip6", 0, undefined));
  assert.deepEqual(little, _fresh("ip6", 0, true));
  assert.deepEqual(big, _fresh("ip6", 0, false));
  assert.notDeepEqual(little, dead);
  assert.notDeepEqual(big, little);
  assert.deepEqual(compileFilter("ip6", { linkType: 0 }), dead);
  const ethernet = compileFilter("ip6", { linkType: 1, savefileByteOrder: "big-endian" });
  assert.deepEqual(ethernet, _fresh("ip6", 1, false));
  assert.deepEqual(compileFilter("ip6", { linkType: 1 }), ethernet);
});

Deno.test("compileFilter() memo keys differ in every option that changes the program", () => {
  const keys = new Set([
    _memoKey("ip", 1, 262144, true, false, undefined),
    _memoKey("ip", 113, 262144, true, false, undefined),
    _memoKey("ip", 1, 65535, true, false, undefined),
    _memoKey("ip", 1, 262144, false, false, undefined),
    _memoKey("ip", 1, 262144, true, true, undefined),
    _memoKey("ip", 1, 262144, true, false, "little-endian"),
    _memoKey("ip ", 1, 262144, true, false, undefined),
  ]);
  assert.equal(keys.size, 7);
  const unoptimized = compileFilter("tcp and tcp", { optimize: false });
  const optimized = compileFilter("tcp and tcp");
  assert.ok(unoptimized.length > optimized.length);
  assert.throws(() => compileFilter("tcp and not tcp"), { name: "FilterRejectsAllError" });
  assert.deepEqual(compileFilter("tcp and not tcp", { allowRejectAll: true }), [
    { code: 6, jt: 0, jf: 0, k: 0 },
  ]);
  assert.throws(() => compileFilter("tcp and not tcp"), { name: "FilterRejectsAllError" });
});

Deno.test("_ProgramMemo stays within its bounds, forgetting the oldest first", () => {
  const program = (n: number): Instruction[] =>
    Array.from({ length: n }, (_, i) => ({ code: 6, jt: 0, jf: 0, k: i }));
  const memo = new _ProgramMemo(100);
  memo.set("a", program(60));
  memo.set("b", program(30));
  assert.equal(memo.instructions, 90);
  memo.set("c", program(30));
  assert.equal(memo.get("a"), undefined);
  assert.equal(memo.instructions, 60);
  assert.deepEqual(memo.get("c"), program(30));
  memo.set("d", program(101));
  assert.equal(memo.get("d"), undefined);
  memo.set("x".repeat(_MAX_MEMO_KEY + 1), program(1));
  assert.equal(memo.programs, 2);

  const many = new _ProgramMemo();
  for (let i = 0; i < _MAX_MEMO_PROGRAMS + 50; i++) many.set(`k${i}`, program(1));
  assert.equal(many.programs, _MAX_MEMO_PROGRAMS);
  assert.equal(many.get("k0"), undefined);
  assert.deepEqual(many.get(`k${_MAX_MEMO_PROGRAMS + 49}`), program(1));
  for (let i = 0; i < 10; i++) many.set(`big${i}`, program(_MAX_MEMO_INSTRUCTIONS / 4));
  assert.ok(many.instructions <= _MAX_MEMO_INSTRUCTIONS);
});
