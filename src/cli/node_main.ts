/**
 * The `bpfstream` executable on Node.js and Bun (the npm package's `bin`,
 * built to `dist/cli.js` by `scripts/build_npm.ts`): the Node counterpart of
 * `main.ts`, filling {@linkcode CliIo} from `node:fs` and `node:process`.
 * It runs when loaded: a `bin` file is only ever loaded as the program, and
 * `import.meta.main` does not exist on Node.
 *
 * Behaviour, output bytes and exit statuses are those of `main.ts`; file
 * errors read as Deno words them (`No such file or directory (os error 2):
 * open 'x'`), and a closed standard output ends the run with 141.
 *
 * @module
 */
import { open, readFile } from "node:fs/promises";
import process from "node:process";
import type { CliIo } from "./cli_io.ts";
import { runCli } from "./run_cli.ts";

/** Read size, as in `main.ts`. */
const _BLOCK = 1 << 20;

/** A Node error (`ENOENT`, ...) reworded as Deno reports it, so messages match `main.ts`. */
function _denoWorded(error: unknown): Error {
  const e = error as {
    code?: string;
    errno?: number;
    syscall?: string;
    path?: string;
    message?: string;
  };
  if (typeof e?.errno !== "number" || typeof e.message !== "string") {
    return error instanceof Error ? error : new Error(String(error));
  }
  const text = /^[A-Z]+: ([^,]*)/.exec(e.message)?.[1] ?? e.message;
  const reason = text.charAt(0).toUpperCase() + text.slice(1);
  const where = e.syscall && e.path !== undefined ? `: ${e.syscall} '${e.path}'` : "";
  const worded = new Error(`${reason} (os error ${-e.errno})${where}`, { cause: error });
  worded.name = e.code === "ENOENT"
    ? "NotFound"
    : e.code === "EACCES"
    ? "PermissionDenied"
    : "Error";
  (worded as { code?: string }).code = e.code;
  return worded;
}

/** A file read in blocks of up to 1 MiB. */
async function _openRead(path: string): Promise<ReadableStream<Uint8Array>> {
  let handle;
  try {
    handle = await open(path, "r");
  } catch (error) {
    throw _denoWorded(error);
  }
  const file = handle;
  let closed = false;
  const close = () => {
    if (!closed) file.close().catch(() => {});
    closed = true;
  };
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const block = new Uint8Array(_BLOCK);
      let used = 0;
      try {
        while (used < _BLOCK) {
          const { bytesRead } = await file.read(block, used, _BLOCK - used, null);
          if (bytesRead === 0) break;
          used += bytesRead;
        }
      } catch (error) {
        close();
        throw _denoWorded(error);
      }
      if (used > 0) controller.enqueue(block.subarray(0, used));
      if (used < _BLOCK) {
        close();
        controller.close();
      }
    },
    cancel: close,
  }, { highWaterMark: 0 });
}

/**
 * A Node writable (`process.stdout`, a file stream) as a Web stream that
 * resolves each write once Node has taken it; an `EPIPE` (reader gone)
 * rejects, which `runCli` turns into exit status 141.
 */
function _writable(
  stream: NodeJS.WritableStream & { on(event: "error", listener: (e: Error) => void): unknown },
  close?: () => Promise<void>,
): WritableStream<Uint8Array> {
  let failure: Error | undefined;
  stream.on("error", (error) => failure ??= _denoWorded(error));
  return new WritableStream<Uint8Array>({
    write(chunk) {
      if (failure) return Promise.reject(failure);
      return new Promise<void>((resolve, reject) => {
        stream.write(chunk, (error?: Error | null) => {
          if (error || failure) reject(failure ?? _denoWorded(error));
          else resolve();
        });
      });
    },
    close: () => close?.(),
    abort: () => close?.(),
  });
}

async function _openWrite(path: string): Promise<WritableStream<Uint8Array>> {
  let handle;
  try {
    handle = await open(path, "w");
  } catch (error) {
    throw _denoWorded(error);
  }
  const file = handle;
  return new WritableStream<Uint8Array>({
    async write(chunk) {
      let at = 0;
      while (at < chunk.length) {
        at += (await file.write(chunk, at, chunk.length - at)).bytesWritten;
      }
    },
    close: () => file.close(),
    abort: () => file.close(),
  });
}

/** Standard input as a Web stream, one chunk per pull (back-pressured: paused between pulls). */
function _stdin(): ReadableStream<Uint8Array> {
  const input = process.stdin;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      return new Promise<void>((resolve, reject) => {
        const onData = (chunk: Uint8Array) => {
          done();
          input.pause();
          controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
          resolve();
        };
        const onEnd = () => {
          done();
          controller.close();
          resolve();
        };
        const onError = (error: Error) => {
          done();
          reject(_denoWorded(error));
        };
        const done = () => {
          input.off("data", onData);
          input.off("end", onEnd);
          input.off("error", onError);
        };
        input.on("data", onData);
        input.once("end", onEnd);
        input.once("error", onError);
        input.resume();
      });
    },
    cancel() {
      input.destroy();
    },
  }, { highWaterMark: 0 });
}

const io: CliIo = {
  stdin: _stdin(),
  stdout: _writable(process.stdout),
  stderr: _writable(process.stderr),
  openRead: _openRead,
  async readFile(path) {
    try {
      return await readFile(path);
    } catch (error) {
      throw _denoWorded(error);
    }
  },
  openWrite: _openWrite,
  isTerminal: () => Boolean(process.stderr.isTTY),
  env: (name) => process.env[name],
  now: () => performance.now(),
};

const status = await runCli(process.argv.slice(2), io);
process.exit(status);
