/**
 * Opening the inputs of a subcommand: a capture (FILE or `-` for stdin) as a
 * stream, or a small text file read whole.
 *
 * @module
 */
import type { CliIo } from "./cli_io.ts";
import { DataError } from "./data_error.ts";
import type { BlockSource } from "./block_source.ts";
import { _streamBlockSource } from "./_stream_block_source.ts";
import type { _BlockPool } from "./_sync_block_source.ts";

/** A capture input and the name used in messages. */
export interface _Input {
  /** The file name, or `<stdin>`. */
  name: string;
  /** The bytes. */
  stream: ReadableStream<Uint8Array>;
}

/** Largest text file read whole (rule files, assembler sources). */
const _MAX_TEXT = 64 << 20;

/** Opens `path` (`-` is standard input) for streaming reads. */
export async function _openInput(io: CliIo, path: string): Promise<_Input> {
  if (path === "-") return { name: "<stdin>", stream: io.stdin };
  try {
    return { name: path, stream: await io.openRead(path) };
  } catch (error) {
    throw new DataError(path, `Cannot open file: ${_reason(error)}`, { cause: error });
  }
}

/** A capture input read in blocks, and the name used in messages. */
export interface _BlockInput {
  /** The file name, or `<stdin>`. */
  name: string;
  /** The blocks. */
  blocks: BlockSource;
}

/**
 * Opens `path` (`-` is standard input) for block reads: through
 * `io.openBlocks` where the I/O has it (reading into `pool`'s buffers
 * first), else over the stream.
 */
export async function _openBlocks(
  io: CliIo,
  path: string,
  pool?: _BlockPool,
): Promise<_BlockInput> {
  const name = path === "-" ? "<stdin>" : path;
  if (!io.openBlocks) {
    const { stream } = await _openInput(io, path);
    return { name, blocks: _streamBlockSource(stream) };
  }
  try {
    return { name, blocks: await io.openBlocks(path, pool) };
  } catch (error) {
    throw new DataError(path, `Cannot open file: ${_reason(error)}`, { cause: error });
  }
}

/** Reads a whole text file (`-` is standard input), at most 64 MiB. */
export async function _readText(io: CliIo, path: string): Promise<string> {
  if (path !== "-") {
    let bytes: Uint8Array;
    try {
      bytes = await io.readFile(path);
    } catch (error) {
      throw new DataError(path, `Cannot read file: ${_reason(error)}`, { cause: error });
    }
    return new TextDecoder().decode(bytes);
  }
  const parts: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of io.stdin) {
    size += chunk.length;
    if (size > _MAX_TEXT) {
      throw new DataError("<stdin>", `Cannot read text: more than ${_MAX_TEXT} bytes`);
    }
    parts.push(chunk);
  }
  const all = new Uint8Array(size);
  let at = 0;
  for (const part of parts) {
    all.set(part, at);
    at += part.length;
  }
  return new TextDecoder().decode(all);
}

function _reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
