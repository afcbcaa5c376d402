/**
 * The program a text subcommand runs: `--bytecode PROG`, `--expr EXPR`
 * (compiled per link type) or `--asm FILE`, and how it is run.
 *
 * @module
 */
import type { Instruction } from "../bpf/instruction.ts";
import { LINKTYPE_RAW } from "../capture/link_types.ts";
import { compileFilter, type CompileFilterOptions } from "../filter/compile_filter.ts";
import {
  type FilterInterface,
  filterOptionsForInterface,
} from "../filter/filter_options_for_interface.ts";
import type { CliIo } from "./cli_io.ts";
import { DataError } from "./data_error.ts";
import { UsageError } from "../args/usage_error.ts";
import { _readText } from "./_input.ts";
import { _linkTypeName } from "./_link_types.ts";
import { type _Parsed, _string } from "../args/_args.ts";

/** The snaplen of most captures (tcpdump's default), for the check of a link-base `--expr`. */
const _USUAL_SNAPLEN = 262144;

/** A program, fixed or compiled per link type from a filter expression. */
export interface _ProgramSource {
  /** What the messages call it: `--bytecode`, `--expr`, or the assembler file name. */
  readonly name: string;
  /** True for `--bytecode`/`--asm` (the same program for every link type). */
  readonly fixed: boolean;
  /** The program for packets of `linkType` (throws a {@linkcode DataError}). */
  forLinkType(linkType: number): Instruction[];
  /**
   * The program for packets of a capture interface: an `--expr` on the link
   * base is compiled as `tcpdump -r` compiles it for that file (its byte
   * order and snaplen); otherwise as {@linkcode forLinkType}.
   */
  forInterface(captureInterface: FilterInterface): Instruction[];
}

/**
 * Reads exactly one of `--bytecode`, `--expr`, `--asm` (those in `allowed`).
 * An `--expr` program is compiled for RAW on the network base and for each
 * capture link type on the link base; syntax errors are reported at once.
 */
export async function _loadProgram(
  parsed: _Parsed,
  command: string,
  io: CliIo,
  base: "link" | "network",
  allowed: readonly ("bytecode" | "expr" | "asm")[],
): Promise<_ProgramSource> {
  const given = allowed.filter((name) => _string(parsed, name) !== undefined);
  if (given.length !== 1) {
    const list = allowed.map((name) => `--${name}`).join(", ");
    throw new UsageError(
      given.length === 0
        ? `Cannot run ${command}: one of ${list} is required`
        : `Cannot run ${command}: give only one of ${list}`,
      command,
    );
  }
  const kind = given[0];
  const text = _string(parsed, kind)!;
  if (kind === "bytecode") {
    // Loaded only here: --expr runs start without the bytecode parser.
    const { parseBytecode } = await import("../bpf/parse_bytecode.ts");
    const program = _parse("--bytecode", () => parseBytecode(text));
    return {
      name: "--bytecode",
      fixed: true,
      forLinkType: () => program,
      forInterface: () => program,
    };
  }
  if (kind === "asm") {
    const name = text === "-" ? "<stdin>" : text;
    const source = await _readText(io, text);
    // The assembler is loaded only for --asm (start-up of filter --expr/--bytecode).
    const { assemble } = await import("../bpf/assemble.ts");
    const program = _parse(name, () => assemble(source));
    return { name, fixed: true, forLinkType: () => program, forInterface: () => program };
  }
  return _expressionSource(text, base);
}

/**
 * The programs of the filter expression `text` on `base` (see
 * {@linkcode _ProgramSource}): throws a {@linkcode DataError} naming
 * `--expr` when it compiles for none of the link types.
 */
export function _expressionSource(text: string, base: "link" | "network"): _ProgramSource {
  const cache = new Map<string, Instruction[] | DataError>();
  const compileCached = (options: CompileFilterOptions): Instruction[] => {
    const key = `${options.linkType}/${options.snaplen}/${options.savefileByteOrder}`;
    let entry = cache.get(key);
    if (entry === undefined) {
      try {
        entry = compileFilter(text, options);
      } catch (error) {
        const where = base === "network"
          ? ""
          : ` for link type ${_linkTypeName(options.linkType ?? 1)}`;
        const message = error instanceof Error ? error.message : String(error);
        entry = new DataError("--expr", `${message}${where}`, { cause: error });
      }
      cache.set(key, entry);
    }
    if (entry instanceof DataError) throw entry;
    return entry;
  };
  const forLinkType = (linkType: number): Instruction[] =>
    compileCached({ linkType: base === "network" ? LINKTYPE_RAW : linkType });
  const forInterface = (captureInterface: FilterInterface): Instruction[] =>
    base === "network"
      ? forLinkType(LINKTYPE_RAW)
      : compileCached(filterOptionsForInterface(captureInterface));
  // Report syntax errors before any input is read: an expression that
  // compiles for none of the link types cannot be right. On the link base
  // each is compiled as for a capture of tcpdump's usual header (snaplen
  // 262144, little-endian), so that for such a capture the first block
  // finds its program already compiled.
  const types = base === "network" ? [LINKTYPE_RAW] : [1, 113, 276, 0, 108, 101, 228, 229];
  let first: unknown;
  for (const type of types) {
    try {
      if (base === "network") forLinkType(type);
      else forInterface({ linkType: type, snaplen: _USUAL_SNAPLEN, littleEndian: true });
      first = undefined;
      break;
    } catch (error) {
      first ??= error;
    }
  }
  if (first !== undefined) throw first;
  return { name: "--expr", fixed: false, forLinkType, forInterface };
}

function _parse(name: string, parse: () => Instruction[]): Instruction[] {
  try {
    return parse();
  } catch (error) {
    throw DataError.from(name, error);
  }
}
