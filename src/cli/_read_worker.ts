/**
 * The input thread of `filter` (a Worker started by `main.ts`, part of its
 * I/O shell: like `main.ts`, it touches `Deno.*`). It reads standard input
 * or a file with blocking reads into a small pool of buffers and transfers
 * each filled block to the main thread, which routes it while the next one
 * is being read and then transfers the buffer back for reuse.
 *
 * Protocol (see {@linkcode _WorkerBlockSource}): main → worker
 * `{ kind: "start", path, blockSize, buffers }` once (`path` null for standard
 * input), then `{ kind: "buffer", buffer }` for each returned buffer; worker →
 * main `{ kind: "block", buffer, length }`, then `{ kind: "end" }` or
 * `{ kind: "error", name, message }`.
 *
 * @module
 */
import type { _ReadWorkerReply, _ReadWorkerRequest } from "./_worker_block_source.ts";

/** A pipe hands over at most this much per read: a shorter read means the
 * writer has paused (a live capture), so the block leaves at once. */
const _PIPE_READ = 1 << 16;

interface _Scope {
  onmessage: ((event: MessageEvent<_ReadWorkerRequest>) => void) | null;
  postMessage(message: _ReadWorkerReply, transfer?: Transferable[]): void;
}
const scope = self as unknown as _Scope;

const free: ArrayBuffer[] = [];
let wake: (() => void) | undefined;

async function _run(path: string | null, blockSize: number, buffers: number): Promise<void> {
  let file: { readSync(buffer: Uint8Array): number | null; close?(): void } | undefined;
  try {
    file = path === null ? Deno.stdin : Deno.openSync(path, { read: true });
    for (let i = 0; i < buffers; i++) free.push(new ArrayBuffer(blockSize));
    for (;;) {
      while (free.length === 0) await new Promise<void>((resolve) => wake = resolve);
      const buffer = free.pop()!;
      const block = new Uint8Array(buffer);
      let used = 0;
      let end = false;
      while (used < blockSize) {
        const n = file.readSync(block.subarray(used));
        if (n === null) {
          end = true;
          break;
        }
        used += n;
        if (n < _PIPE_READ) break;
      }
      if (used > 0) scope.postMessage({ kind: "block", buffer, length: used }, [buffer]);
      else free.push(buffer);
      if (end) break;
    }
    scope.postMessage({ kind: "end" });
  } catch (error) {
    scope.postMessage({
      kind: "error",
      name: error instanceof Error ? error.name : "Error",
      message: error instanceof Error ? error.message : String(error),
    });
  } finally {
    if (path !== null) file?.close?.();
  }
}

scope.onmessage = (event) => {
  const message = event.data;
  if (message.kind === "start") {
    _run(message.path, message.blockSize, message.buffers);
  } else {
    free.push(message.buffer);
    const w = wake;
    wake = undefined;
    w?.();
  }
};
