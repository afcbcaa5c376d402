import assert from "node:assert/strict";
import { trace } from "./trace.ts";
import { interpret } from "./interpret.ts";

Deno.test("trace() records pc, registers, scratch cells and jumps", () => {
  const program = [
    { code: 0x00, jt: 0, jf: 0, k: 5 }, // ld #5
    { code: 0x02, jt: 0, jf: 0, k: 2 }, // st M[2]
    { code: 0x61, jt: 0, jf: 0, k: 2 }, // ldx M[2]
    { code: 0x15, jt: 1, jf: 0, k: 5 }, // jeq #5 → 5
    { code: 0x06, jt: 0, jf: 0, k: 0 },
    { code: 0x16, jt: 0, jf: 0, k: 0 }, // ret a
  ];
  const run = trace(program, new Uint8Array(0));
  assert.equal(run.result, 5);
  assert.equal(run.abort, undefined);
  assert.deepEqual(run.steps.map((s) => s.pc), [0, 1, 2, 3, 5]);
  assert.deepEqual(run.steps[1].scratch, [{ index: 2, value: 5, write: true }]);
  assert.deepEqual(run.steps[2].scratch, [{ index: 2, value: 5, write: false }]);
  assert.equal(run.steps[2].x, 5);
  assert.equal(run.steps[3].next, 5);
});

Deno.test("trace() explains why a run ended early", () => {
  const load = trace(
    [{ code: 0x28, jt: 0, jf: 0, k: 12 }, { code: 0x06, jt: 0, jf: 0, k: 1 }],
    new Uint8Array(13),
  );
  assert.equal(load.result, 0);
  assert.match(load.abort ?? "", /load of 2 bytes at offset 12 is out of bounds/);
  const division = trace(
    [{ code: 0x3c, jt: 0, jf: 0, k: 0 }, { code: 0x06, jt: 0, jf: 0, k: 1 }],
    new Uint8Array(0),
  );
  assert.match(division.abort ?? "", /division by zero/);
  const device = trace([
    { code: 0x00, jt: 0, jf: 0, k: 9 },
    { code: 0x20, jt: 0, jf: 0, k: 0xfffff008 },
    { code: 0x06, jt: 0, jf: 0, k: 1 },
  ], new Uint8Array(0));
  assert.equal(device.result, 9);
  assert.equal(
    device.result,
    interpret([
      { code: 0x00, jt: 0, jf: 0, k: 9 },
      { code: 0x20, jt: 0, jf: 0, k: 0xfffff008 },
      { code: 0x06, jt: 0, jf: 0, k: 1 },
    ], new Uint8Array(0)),
  );
  assert.match(device.abort ?? "", /SKF_AD_IFINDEX without a device/);
});
