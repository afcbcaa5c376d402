import assert from "node:assert/strict";
import { compileWasm } from "./compile_wasm.ts";
import { interpret } from "./interpret.ts";
import { parseBytecode } from "./parse_bytecode.ts";
import { BpfValidationError } from "./errors.ts";

// tcpdump -ddd -y EN10MB 'tcp port 80'
const TCP_PORT_80 = parseBytecode(
  "20,40 0 0 12,21 0 6 34525,48 0 0 20,21 0 15 6,40 0 0 54,21 12 0 80,40 0 0 56,21 10 11 80," +
    "21 0 10 2048,48 0 0 23,21 0 8 6,40 0 0 20,69 6 0 8191,177 0 0 14,72 0 0 14,21 2 0 80," +
    "72 0 0 16,21 0 1 80,6 0 0 262144,6 0 0 0,",
);

/** An Ethernet/IPv4/TCP frame to `port`, `length` bytes long. */
function tcpFrame(port: number, length = 64): Uint8Array {
  const frame = new Uint8Array(length);
  frame.set([0x08, 0x00, 0x45], 12);
  frame[23] = 6;
  frame[36] = port >> 8;
  frame[37] = port & 0xff;
  return frame;
}

Deno.test("WasmFilter.runBatch() and run() agree with the interpreter, truncated frames included", () => {
  const filter = compileWasm(TCP_PORT_80);
  const frames = [tcpFrame(80), tcpFrame(443), tcpFrame(80, 36), tcpFrame(80, 38), tcpFrame(80)];
  const offsets = new Uint32Array(frames.length);
  const lengths = new Uint32Array(frames.length);
  let used = 0;
  frames.forEach((frame, i) => {
    offsets[i] = used;
    lengths[i] = frame.length;
    used += frame.length;
  });
  const bytes = filter.reserve(used);
  frames.forEach((frame, i) => bytes.set(frame, offsets[i]));
  const results = new Uint32Array(frames.length);
  filter.runBatch(offsets, lengths, results);
  const expected = frames.map((frame) => interpret(TCP_PORT_80, frame));
  assert.deepEqual([...results], expected);
  assert.deepEqual(expected, [262144, 0, 0, 262144, 262144]);
  frames.forEach((_, i) => assert.equal(filter.run(offsets[i], lengths[i]), expected[i]));
  // A wire length shorter than the capture ends the loads there.
  const wires = new Uint32Array(frames.length).fill(37);
  filter.runBatch(offsets, lengths, results, { wireLengths: wires });
  assert.deepEqual([...results], [0, 0, 0, 0, 0]);
});

Deno.test("WasmFilter shares one memory between filters and survives its growth", () => {
  const memory = new WebAssembly.Memory({ initial: 1 });
  const port80 = compileWasm(TCP_PORT_80, { memory });
  const any = compileWasm(parseBytecode("1,6 0 0 7,"), { memory });
  port80.reserve(64).set(tcpFrame(80));
  const results = new Uint32Array(1);
  any.reserve(64);
  any.runBatch(new Uint32Array([0]), new Uint32Array([64]), results);
  assert.equal(results[0], 7);
  port80.reserve(5 << 20); // grows the shared memory: earlier views are detached
  assert.equal(port80.bytes.length, 5 << 20);
  assert.equal(any.run(0, 64), 7);
  port80.runBatch(new Uint32Array([0]), new Uint32Array([64]), results);
  assert.equal(results[0], 262144);
  // A batch of the filter that did not grow the memory: its tables go to the grown memory too.
  results[0] = 0;
  any.runBatch(new Uint32Array([0]), new Uint32Array([64]), results);
  assert.equal(results[0], 7);
  results[0] = 0;
  any.runBatch(new Uint32Array([0]), new Uint32Array([64]), results, {
    wireLengths: new Uint32Array([64]),
  });
  assert.equal(results[0], 7);
});

Deno.test("WasmFilter never reads past its memory, whatever lengths it is given", () => {
  const filter = compileWasm(TCP_PORT_80);
  const bytes = filter.reserve(64);
  bytes.set(tcpFrame(80));
  const size = filter.memory.buffer.byteLength;
  const results = new Uint32Array(2);
  filter.runBatch(new Uint32Array([size - 20, 0]), new Uint32Array([0xffffffff, 64]), results);
  assert.deepEqual([...results], [0, 262144]);
  assert.equal(filter.run(size - 20, 1000), 0);
});

Deno.test("WasmFilter ends a frame whose length runs past its reserved bytes where they end, as the interpreter", () => {
  // ld [k]; ret a, for loads inside, across and past the 8 reserved bytes.
  for (const k of [0, 4, 5, 8, 20]) {
    const program = [{ code: 0x20, jt: 0, jf: 0, k }, { code: 0x16, jt: 0, jf: 0, k: 0 }];
    const filter = compileWasm(program);
    const bytes = filter.reserve(8);
    bytes.set([1, 2, 3, 4, 5, 6, 7, 8]);
    // The interpreter sees the frame as a view of the reserved bytes can hold it.
    const expected = (offset: number) =>
      interpret(program, bytes.subarray(offset, offset + 64), { wireLength: 64 });
    assert.equal(filter.run(0, 64), expected(0), `run, ld [${k}]`);
    assert.equal(filter.run(4, 64), expected(4), `run at 4, ld [${k}]`);
    const offsets = Uint32Array.of(0, 4, 0, 4, 0);
    const want = [...offsets].map(expected);
    const plain = new Uint32Array(5);
    filter.runBatch(offsets.slice(), new Uint32Array(5).fill(64), plain);
    assert.deepEqual([...plain], want, `plain batch, ld [${k}]`);
    const general = new Uint32Array(5);
    filter.runBatch(offsets.slice(), new Uint32Array(5).fill(64), general, {
      wireLengths: new Uint32Array(5).fill(64),
    });
    assert.deepEqual([...general], want, `batch with wire lengths, ld [${k}]`);
  }
});

Deno.test("WasmFilter refuses a reservation above 2 GiB and a batch larger than its arrays", () => {
  const filter = compileWasm(TCP_PORT_80);
  assert.throws(() => filter.reserve(2 ** 31), RangeError);
  assert.throws(() => filter.reserve(-1), RangeError);
  assert.throws(
    () => filter.runBatch(new Uint32Array(4), new Uint32Array(2), new Uint32Array(4)),
    /Cannot run batch: 4 packets but 2 entries in capturedLengths/,
  );
  const four = new Uint32Array(4);
  assert.throws(
    () => filter.runBatch(four, four, four, { wireLengths: new Uint32Array(3) }),
    /Cannot run batch: 4 packets but 3 entries in wireLengths/,
  );
  assert.throws(() => filter.runBatch(four, four, four, { count: 5 }), /5 packets but 4 entries/);
  assert.throws(() => filter.runBatch(four, four, four, { count: -1 }), /count "-1"/);
});

Deno.test("compileWasm() validates as the kernel does before compiling", () => {
  const backward = parseBytecode("3,5 0 0 0,5 0 0 4294967294,6 0 0 0,");
  assert.throws(() => compileWasm(backward), BpfValidationError);
  assert.throws(
    () => compileWasm(Array(65).fill(TCP_PORT_80[19]), { maxInstructions: 64 }),
    BpfValidationError,
  );
});
