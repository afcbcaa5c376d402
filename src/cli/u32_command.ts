/**
 * `bpfstream u32`: convert an iptables u32 match to classic BPF.
 *
 * @module
 */
import { formatBytecode } from "../bpf/format_bytecode.ts";
import { parseU32 } from "../u32/parse_u32.ts";
import { u32ToBpf } from "../u32/u32_to_bpf.ts";
import type { CliCommand } from "./cli_command.ts";
import { DataError } from "./data_error.ts";
import { UsageError } from "../args/usage_error.ts";
import { _writeText } from "./_output.ts";
import { _count, _flag, _noPositionals, _parseOptions, _string } from "../args/_args.ts";
import { _formatProgram } from "./_format_program.ts";

const _USAGE = `Usage: bpfstream u32 --to-bytecode EXPR [--invert] [-d|-dd|-ddd]

Translates an iptables u32 match ('-m u32 --u32 EXPR', the libxt_u32
grammar) into an equivalent classic BPF program for '-m bpf --bytecode'
(offset 0 at the IP header, as both matches see it), printed in the iptables
--bytecode form.

  --to-bytecode EXPR      the u32 expression, e.g. "6 & 0xFF = 6 && 4 & 0x3FFF = 0"
  --invert                the program of '! --u32 EXPR'
  -d / -dd / -ddd         print as tcpdump -d, -dd or -ddd instead`;

/**
 * The `u32` subcommand.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { u32Command } from "./u32_command.ts";
 * import { _testIo } from "./_test_io.ts";
 * const { io, stdoutText } = _testIo();
 * assert.equal(await u32Command.run(["--to-bytecode", "6 & 0xFF = 6"], io), 0);
 * assert.equal(stdoutText().split(",").slice(0, 2).join(","), "7,128 0 0 0"); // 7 instructions
 * ```
 */
export const u32Command: CliCommand = {
  name: "u32",
  summary: "convert an iptables u32 match to classic BPF",
  usage: _USAGE,
  async run(args, io) {
    const parsed = _parseOptions("u32", args, {
      "to-bytecode": { type: "string" },
      invert: { type: "boolean" },
      d: { type: "boolean", short: "d", multiple: true },
    });
    const expression = _string(parsed, "to-bytecode");
    _noPositionals(parsed, "u32", " (quote the expression)");
    if (expression === undefined) {
      throw new UsageError("Cannot run u32: --to-bytecode EXPR is required", "u32");
    }
    let program;
    try {
      program = u32ToBpf(parseU32(expression), { invert: _flag(parsed, "invert") });
    } catch (error) {
      throw DataError.from("--to-bytecode", error);
    }
    const level = _count(parsed, "d");
    await _writeText(
      io.stdout,
      level === 0 ? formatBytecode(program) + "\n" : _formatProgram(program, level),
    );
    return 0;
  },
};
