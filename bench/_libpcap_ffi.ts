/**
 * What the in-process engine benches share (private): the first frames of a
 * capture side by side in one buffer, the program as `struct bpf_insn[]`
 * bytes, and libpcap's `bpf_filter` with the thread's CPU clock through FFI
 * (bench/_bpf_filter_ffi.c, built with `gcc -O2 -shared ... -lpcap` into
 * `bench/data/`).
 *
 * @module
 */

/** One cBPF instruction, as `tcpdump -ddd` prints it. */
export type Instruction = { code: number; jt: number; jf: number; k: number };

/** Frames side by side in one buffer: frame `i` is `bytes[offsets[i], offsets[i] + lengths[i])`. */
export interface Frames {
  bytes: Uint8Array;
  offsets: Uint32Array;
  lengths: Uint32Array;
}

/** The first `count` frames of a little-endian microsecond pcap, side by side in one buffer. */
export function readFrames(path: string, count: number): Frames {
  const file = Deno.readFileSync(path);
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  if (view.getUint32(0, true) !== 0xa1b2c3d4) throw new Error(`${path}: not a LE pcap`);
  const offsets = new Uint32Array(count);
  const lengths = new Uint32Array(count);
  const bytes = new Uint8Array(count * 65536 > file.length ? file.length : count * 65536);
  let at = 24;
  let used = 0;
  for (let i = 0; i < count; i++) {
    if (at + 16 > file.length) throw new Error(`${path}: fewer than ${count} frames`);
    const captured = view.getUint32(at + 8, true);
    offsets[i] = used;
    lengths[i] = captured;
    bytes.set(file.subarray(at + 16, at + 16 + captured), used);
    used += captured;
    at += 16 + captured;
  }
  return { bytes: bytes.subarray(0, used), offsets, lengths };
}

/** The frames as one `Uint8Array` view each. */
export function framePackets({ bytes, offsets, lengths }: Frames): Uint8Array[] {
  return Array.from(offsets, (offset, i) => bytes.subarray(offset, offset + lengths[i]));
}

/** The program as `struct bpf_insn[]` bytes. */
export function bpfInsns(program: readonly Instruction[]): Uint8Array {
  const bytes = new Uint8Array(program.length * 8);
  const view = new DataView(bytes.buffer);
  program.forEach(({ code, jt, jf, k }, i) => {
    view.setUint16(i * 8, code, true);
    view.setUint8(i * 8 + 2, jt);
    view.setUint8(i * 8 + 3, jf);
    view.setUint32(i * 8 + 4, k >>> 0, true);
  });
  return bytes;
}

/** libpcap's `bpf_filter` (`run_rounds`: `rounds` passes over the frames, the sum of results) and the thread's CPU clock in ns. */
export interface Libpcap {
  thread_cpu_ns(): number;
  run_rounds(
    insns: Uint8Array,
    bytes: Uint8Array,
    offsets: Uint32Array,
    lengths: Uint32Array,
    count: number,
    rounds: number,
  ): number;
  /** libpcap's `bpf_validate`: 1 if libpcap accepts the program. */
  validate_program(insns: Uint8Array, count: number): number;
}

/** Builds bench/_bpf_filter_ffi.c into `bench/data/` and loads it. */
export function libpcap(): Libpcap {
  const library = new URL("./data/_bpf_filter_ffi.so", import.meta.url).pathname;
  const source = new URL("./_bpf_filter_ffi.c", import.meta.url).pathname;
  const built = new Deno.Command("gcc", {
    args: ["-O2", "-shared", "-fPIC", "-o", library, source, "-lpcap"],
    stderr: "piped",
  }).outputSync();
  if (!built.success) throw new Error(new TextDecoder().decode(built.stderr).trim());
  return Deno.dlopen(library, {
    thread_cpu_ns: { parameters: [], result: "f64" },
    run_rounds: {
      parameters: ["buffer", "buffer", "buffer", "buffer", "u32", "i32"],
      result: "f64",
    },
    validate_program: { parameters: ["buffer", "i32"], result: "i32" },
  }).symbols as unknown as Libpcap;
}
