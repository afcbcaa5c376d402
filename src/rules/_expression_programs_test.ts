import assert from "node:assert/strict";
import { compileFilter } from "../filter/compile_filter.ts";
import { LINKTYPE_EN10MB, LINKTYPE_RAW } from "../capture/link_types.ts";
import {
  _packProgram,
  _unoptimisedPacked,
  _unoptimisedProgram,
  _unpackProgram,
} from "./_expression_programs.ts";

Deno.test("_packProgram() keeps every field: 16-bit codes, 8-bit jumps, 32-bit unsigned constants", () => {
  const program = [
    { code: 0xffff, jt: 255, jf: 0, k: 0xffffffff },
    { code: 0x15, jt: 0, jf: 255, k: 0x80000000 },
    { code: 0x06, jt: 7, jf: 9, k: 0 },
  ];
  assert.deepEqual(_unpackProgram(_packProgram(program)), program);
});

Deno.test("_unoptimisedProgram() is compileFilter's unoptimised program, a fresh copy each time", () => {
  for (
    const [expression, linkType] of [
      ["tcp dst port 22 or udp src port 53", LINKTYPE_RAW],
      ["ether host ff:ff:ff:ff:ff:ff and ip[2:2] > 1500", LINKTYPE_EN10MB],
    ] as const
  ) {
    const expected = compileFilter(expression, { linkType, optimize: false });
    const first = _unoptimisedProgram(expression, linkType);
    assert.deepEqual(first, expected);
    first[0].k = 12345;
    assert.deepEqual(_unoptimisedProgram(expression, linkType), expected);
    assert.equal(
      _unoptimisedPacked(expression, linkType),
      _unoptimisedPacked(expression, linkType),
    );
  }
});
