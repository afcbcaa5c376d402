/**
 * The `bpfstream` executable: the only file of the command line that touches
 * `Deno.args`, standard streams, files and the exit status. Everything else
 * is {@linkcode runCli} on injected I/O.
 *
 * Run: `deno task cli COMMAND ...`, or install once with
 * `deno install -g -A -n bpfstream src/cli/main.ts`.
 *
 * @module
 */
import type { BlockSource } from "./block_source.ts";
import type { CliIo } from "./cli_io.ts";
import { runCli } from "./run_cli.ts";
import { _streamBlockSource } from "./_stream_block_source.ts";
import { _WorkerBlockSource } from "./_worker_block_source.ts";

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

/** A writable that writes every chunk completely (looping on short writes). */
function _writeAllStream(
  writer: { write(bytes: Uint8Array): Promise<number>; close?(): void },
): WritableStream<Uint8Array> {
  return new WritableStream<Uint8Array>({
    async write(chunk) {
      let at = 0;
      while (at < chunk.length) at += await writer.write(chunk.subarray(at));
    },
    close() {
      writer.close?.();
    },
    abort() {
      writer.close?.();
    },
  });
}

const stdin = _blockStream({ read: (buffer) => Deno.stdin.read(buffer) });

/**
 * The capture input of `filter`: read by a worker thread (`_read_worker.ts`)
 * with blocking reads into four recycled 1 MiB buffers, so reading overlaps
 * routing and no fresh memory is faulted in per block. Falls back to reading
 * on this thread where a worker cannot be started.
 */
async function _openBlocks(path: string): Promise<BlockSource> {
  // Open errors (missing file, permission) surface here, before any output.
  if (path !== "-") (await Deno.open(path, { read: true })).close();
  let worker: Worker;
  try {
    worker = new Worker(new URL("./_read_worker.ts", import.meta.url), { type: "module" });
  } catch {
    return _streamBlockSource(
      path === "-" ? stdin : _blockStream(await Deno.open(path, { read: true })),
    );
  }
  return new _WorkerBlockSource(worker, { path: path === "-" ? null : path });
}

const io: CliIo = {
  stdin,
  stdout: _writeAllStream({ write: (bytes) => Deno.stdout.write(bytes) }),
  stderr: _writeAllStream({ write: (bytes) => Deno.stderr.write(bytes) }),
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
