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

/** Linux's `fcntl` commands that set and get a pipe's capacity. */
const _F_SETPIPE_SZ = 1031;
const _F_GETPIPE_SZ = 1032;
/** The capacity asked for: Linux's limit for unprivileged processes
 * (`/proc/sys/fs/pipe-max-size`, 1 MiB by default). */
const _PIPE_SIZE = 1 << 20;

/**
 * Enlarges the pipes among `fds` from Linux's default 64 KiB to 1 MiB, where
 * this process may call native code (`--allow-ffi`, which `-A` includes; the
 * permission is only queried, never prompted for). A producer then writes up
 * to 1 MiB ahead while a block is routed, and reads come in up to a whole
 * block: a third of the reads, a quarter of the producer's context switches.
 * With the pipeline's processes given both cores (real-time priority),
 * `cat | filter | cat` took 0.66–0.74× tcpdump's time instead of 1.11–1.31×;
 * at normal priority on a loaded machine the difference was within the
 * noise (bench/RESULTS.md, "Pipe mode (issue 12, session 7)"). Anything that
 * is not a pipe, or a refusal (a user's pipe quota), leaves things as they
 * are. Returns the fds enlarged.
 */
export function _enlargePipes(fds: number[]): number[] {
  const enlarged: number[] = [];
  if (Deno.build.os !== "linux") return enlarged;
  try {
    if (Deno.permissions.querySync({ name: "ffi" }).state !== "granted") return enlarged;
    // Loading the C library costs about 1 ms: not for files and terminals.
    if (!fds.some(_maybePipe)) return enlarged;
    const libc = Deno.dlopen("libc.so.6", {
      fcntl: { parameters: ["i32", "i32", "i32"], result: "i32" },
    });
    try {
      for (const fd of fds) {
        // -1 for anything but a pipe.
        const size = libc.symbols.fcntl(fd, _F_GETPIPE_SZ, 0);
        if (size <= 0 || size >= _PIPE_SIZE) continue;
        if (libc.symbols.fcntl(fd, _F_SETPIPE_SZ, _PIPE_SIZE) >= _PIPE_SIZE) enlarged.push(fd);
      }
    } finally {
      libc.close();
    }
  } catch {
    // No C library by that name (musl), or no FFI: pipes keep their size.
  }
  return enlarged;
}

/** Whether `fd` is a pipe, or cannot be told (no permission to look). */
function _maybePipe(fd: number): boolean {
  try {
    return Deno.statSync(`/dev/fd/${fd}`).isFifo === true;
  } catch {
    return true;
  }
}

/**
 * The capture input of `filter`, read on this thread with blocking reads
 * into one recycled 256 KiB buffer: from a regular file a read is a copy from
 * the page cache, from a pipe it takes what is waiting. (A reader thread
 * handing blocks over cost more CPU than it saved, in every mode measured:
 * bench/RESULTS.md, issue 12.) Standard input and output are enlarged to
 * 1 MiB where they are pipes and FFI is allowed ({@linkcode _enlargePipes}).
 */
function _openBlocks(path: string, pool?: _BlockPool): Promise<BlockSource> {
  _enlargePipes(path === "-" ? [0, 1] : [1]);
  if (path === "-") {
    return Promise.resolve(_syncBlockSource(Deno.stdin, { closeReader: false, pool }));
  }
  // Open errors (missing file, permission) reject here, before any output.
  return Deno.open(path, { read: true }).then((file) => _syncBlockSource(file, { pool }));
}

/** The one-minute load average: `Deno.loadavg` (needs --allow-sys), else /proc/loadavg. */
function _loadAverage(): number | undefined {
  try {
    return Deno.loadavg()[0];
  } catch {
    // Linux without that permission: the same figure from procfs (--allow-read).
  }
  try {
    return Number(Deno.readTextFileSync("/proc/loadavg").split(" ")[0]);
  } catch {
    return undefined;
  }
}

/**
 * The CPU time of this thread in milliseconds, from Linux's
 * `/proc/thread-self/schedstat` (nanoseconds on the CPU; about 3 µs a read),
 * or wall time where that cannot be read. (Not `node:process`: loading it
 * costs every run about 10 ms of start-up.)
 */
function _threadCpuMs(): number {
  if (_schedstat) {
    try {
      return Number(Deno.readTextFileSync(_SCHEDSTAT).split(" ")[0]) / 1e6;
    } catch {
      _schedstat = false;
    }
  }
  return performance.now();
}
const _SCHEDSTAT = "/proc/thread-self/schedstat";
let _schedstat = true;

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
  cpuMs: _threadCpuMs,
  loadAverage: _loadAverage,
};

if (import.meta.main) {
  Deno.exit(await runCli(Deno.args, io));
}
