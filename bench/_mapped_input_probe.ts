/**
 * `bench/_mapped_input_model.c` inside Deno: a capture read into a 256 KiB
 * block of a Wasm memory, or mapped over it (`mmap(MAP_FIXED)` through FFI),
 * window by window, and its pcap records walked in JavaScript (three packet
 * bytes each). Prints the time of the pass and of the walk alone. Shows that
 * the Wasm memory's pages can be replaced in place and what the walk pays
 * for reading mapped pages that are not yet in the CPU's caches
 * (bench/RESULTS.md, "Regular-file input without the read copy, session 10").
 *
 *   deno run -A bench/_mapped_input_probe.ts read|map|map-touch FILE
 *
 * @module
 */

const _PROT_READ = 1;
const _MAP_PRIVATE = 0x02;
const _MAP_FIXED = 0x10;
const _MAP_POPULATE = 0x8000;
const _SEEK_SET = 0;
const _SEEK_END = 2;
const _BLOCK = 1 << 18;
const _PAGE = 4096;

const libc = Deno.dlopen("libc.so.6", {
  mmap: { parameters: ["usize", "usize", "i32", "i32", "i32", "i64"], result: "usize" },
  open: { parameters: ["buffer", "i32"], result: "i32" },
  read: { parameters: ["i32", "buffer", "usize"], result: "isize" },
  lseek: { parameters: ["i32", "i64", "i32"], result: "i64" },
}).symbols;

const [mode, path] = Deno.args;
if (!["read", "map", "map-touch"].includes(mode) || path === undefined) {
  console.error("usage: _mapped_input_probe.ts read|map|map-touch FILE");
  Deno.exit(2);
}
// A block in a Wasm memory, as the CLI's walk lends them (page-aligned).
const memory = new WebAssembly.Memory({ initial: 64, maximum: 64 });
const block = new Uint8Array(memory.buffer, 1 << 20, _BLOCK);
const address = BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(block)));
const words = new Int32Array(memory.buffer, 1 << 20, _BLOCK >> 2);
const view = new DataView(memory.buffer, 1 << 20, _BLOCK);
const fd = libc.open(new TextEncoder().encode(path + "\0"), 0);
if (fd < 0) throw new Error(`Cannot open ${path}`);
const size = Number(libc.lseek(fd, 0n, _SEEK_END));

let sum = 0;
let touched = 0;
let records = 0;
let walking = 0;
const started = performance.now();
for (let next = 24; next + 16 <= size;) {
  const start = next - next % _PAGE;
  const n = Math.min(_BLOCK, size - start);
  if (mode === "read") {
    libc.lseek(fd, BigInt(start), _SEEK_SET);
    for (let got = 0; got < n;) {
      const k = Number(libc.read(fd, block.subarray(got), BigInt(n - got)));
      if (k <= 0) throw new Error("Cannot read");
      got += k;
    }
  } else {
    const length = BigInt(Math.ceil(n / _PAGE) * _PAGE);
    const flags = _MAP_PRIVATE | _MAP_FIXED | _MAP_POPULATE;
    if (BigInt(libc.mmap(address, length, _PROT_READ, flags, fd, BigInt(start))) !== address) {
      throw new Error("Cannot map");
    }
    if (mode === "map-touch") {
      let x = 0;
      for (let i = 0; i < n >> 2; i += 16) x |= words[i];
      touched ^= x;
    }
  }
  const walkStarted = performance.now();
  let at = next - start;
  const first = at;
  while (at + 16 <= n) {
    const captured = view.getUint32(at + 8, true);
    if (at + 16 + captured > n) break;
    sum += block[at + 28] + (captured > 40 ? block[at + 39] + block[at + 53] : 0);
    at += 16 + captured;
    records++;
  }
  walking += performance.now() - walkStarted;
  if (at === first) throw new Error("A record larger than a window");
  next = start + at;
}
console.log(
  `${mode}: ${(performance.now() - started).toFixed(1)} ms, walk ${walking.toFixed(1)} ms, ` +
    `${records} records (${sum & 0xff}, ${touched & 1})`,
);
