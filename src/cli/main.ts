/**
 * The `bpfstream` executable: the only file of the command line that touches
 * `Deno.args`, standard streams, files and the exit status. Everything else
 * is {@linkcode runCli} on injected I/O.
 *
 * Users run its bundle, `src/cli/dist/bpfstream.js` (`deno task cli COMMAND
 * ...`, or installed as in the README), built by `deno task build:cli`; `deno
 * run -A src/cli/main.ts` runs the sources.
 *
 * @module
 */
import type { BlockSource } from "./block_source.ts";
import type { CliIo } from "./cli_io.ts";
import { runCli } from "./run_cli.ts";
import { type _BlockPool, _syncBlockSource } from "./_sync_block_source.ts";

/** Read size: large blocks halve the cost of input compared with 64 KiB chunks. */
const _BLOCK = 1 << 20;
/** A pipe delivers at most this much per read; a full read means more is waiting. */
const _PIPE_READ = 1 << 16;

interface _Reader {
  read(buffer: Uint8Array): Promise<number | null>;
  close?(): void;
}

/**
 * A byte source read in blocks of up to 1 MiB: reads are repeated while the
 * source delivers full pipe-sized reads (data is waiting) and the block has
 * room, so a fast producer yields 1 MiB chunks while a slow live capture is
 * passed on as soon as it arrives.
 */
function _blockStream(reader: _Reader): ReadableStream<Uint8Array> {
  let done = false;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const block = new Uint8Array(_BLOCK);
      let used = 0;
      while (used < _BLOCK) {
        const n = await reader.read(block.subarray(used));
        if (n === null) {
          done = true;
          break;
        }
        used += n;
        if (n < _PIPE_READ || _BLOCK - used < _PIPE_READ) break;
      }
      if (used > 0) controller.enqueue(block.subarray(0, used));
      if (done) {
        reader.close?.();
        controller.close();
      }
    },
    cancel() {
      if (!done) reader.close?.();
      done = true;
    },
  }, { highWaterMark: 0 });
}

interface _SyncWriter {
  writeSync(bytes: Uint8Array): number;
  close?(): void;
}

/** Writes all of `bytes` with blocking writes (looping on short writes). */
function _writeAllSync(writer: _SyncWriter, bytes: Uint8Array): void {
  let at = 0;
  while (at < bytes.length) at += writer.writeSync(bytes.subarray(at));
}

/**
 * A writable that writes every chunk completely with blocking writes:
 * cheaper than an asynchronous write per chunk, and a full pipe holds the
 * whole process back, as it should.
 */
function _writeAllStream(writer: _SyncWriter): WritableStream<Uint8Array> {
  return new WritableStream<Uint8Array>({
    write(chunk) {
      _writeAllSync(writer, chunk);
    },
    close() {
      writer.close?.();
    },
    abort() {
      writer.close?.();
    },
  });
}

/** `fcntl` commands that set and get a pipe's capacity (Linux). */
const _F_SETPIPE_SZ = 1031;
const _F_GETPIPE_SZ = 1032;
/**
 * The capacity asked for standard input's pipe: one input block. Room for a
 * writer's 128 KiB writes (`cat`'s) to go through while a block is read;
 * 1 MiB cost the filter ~10% more CPU where it shares a core with `cat`
 * (the pipe's pages no longer stay in cache) and was not faster elsewhere.
 */
const _PIPE_CAPACITY = 1 << 18;

/**
 * Widens standard input's pipe to 256 KiB, where FFI is allowed (`-A`, as
 * the README installs the command) and the C library is glibc's; else leaves
 * it. With a 64 KiB pipe the writer (`cat F | ...`) blocks on every 64 KiB
 * this process reads and waits to be woken again, and this process waits in
 * turn for the pipe to fill: two wake-ups per 64 KiB, each tens of
 * microseconds when the two run on different cores (bench/RESULTS.md, "Pipe
 * mode, session 9").
 */
function _widenStdinPipe(): void {
  if (Deno.build.os !== "linux") return;
  if (Deno.permissions.querySync({ name: "ffi" }).state !== "granted") return;
  try {
    const libc = Deno.dlopen("libc.so.6", {
      fcntl: { parameters: ["i32", "i32", "i32"], result: "i32" },
    });
    try {
      // Never narrowed; a refusal (over the user's pipe limit) leaves it as it was.
      const capacity = libc.symbols.fcntl(0, _F_GETPIPE_SZ, 0);
      if (capacity > 0 && capacity < _PIPE_CAPACITY) {
        libc.symbols.fcntl(0, _F_SETPIPE_SZ, _PIPE_CAPACITY);
      }
    } finally {
      libc.close();
    }
  } catch {
    // No glibc (musl, a static build): the pipe keeps its size.
  }
}

/**
 * The capture input of `filter`, read on this thread with blocking reads
 * into one recycled 256 KiB buffer: from a regular file a read is a copy from
 * the page cache, from a pipe it takes what is waiting (and a pipe kept full
 * by its writer is widened). (A reader thread handing blocks over cost more
 * CPU than it saved, in every mode measured: bench/RESULTS.md, issue 12.)
 */
function _openBlocks(path: string, pool?: _BlockPool): Promise<BlockSource> {
  if (path === "-") {
    return Promise.resolve(
      _syncBlockSource(Deno.stdin, { closeReader: false, pool, onPipe: _widenStdinPipe }),
    );
  }
  // Open errors (missing file, permission) reject here, before any output.
  return Deno.open(path, { read: true }).then((file) => _syncBlockSource(file, { pool }));
}

// The standard streams are made on first use: `filter` reads and writes
// with blocking calls, and the Web Streams implementation is then never
// loaded (start-up).
let stdin: ReadableStream<Uint8Array> | undefined;
let stdout: WritableStream<Uint8Array> | undefined;
let stderr: WritableStream<Uint8Array> | undefined;

const io: CliIo = {
  get stdin() {
    return stdin ??= _blockStream({ read: (buffer) => Deno.stdin.read(buffer) });
  },
  get stdout() {
    return stdout ??= _writeAllStream(Deno.stdout);
  },
  writeStdoutSync: (bytes) => _writeAllSync(Deno.stdout, bytes),
  get stderr() {
    return stderr ??= _writeAllStream(Deno.stderr);
  },
  async openRead(path) {
    const file = await Deno.open(path, { read: true });
    return _blockStream(file);
  },
  openBlocks: _openBlocks,
  readFile: (path) => Deno.readFile(path),
  async openWrite(path) {
    const file = await Deno.open(path, { write: true, create: true, truncate: true });
    return _writeAllStream(file);
  },
  isTerminal: () => Deno.stderr.isTerminal(),
  env: (name) => Deno.env.get(name),
  now: () => performance.now(),
};

if (import.meta.main) {
  Deno.exit(await runCli(Deno.args, io));
}
