/**
 * `bpfstream asm`: assemble bpf_asm text into an iptables bytecode line.
 *
 * @module
 */
import { assemble } from "../bpf/assemble.ts";
import { formatBytecode } from "../bpf/format_bytecode.ts";
import type { CliCommand } from "./cli_command.ts";
import { DataError } from "./data_error.ts";
import { _readText } from "./_input.ts";
import { _writeText } from "./_output.ts";
import { _inputPath, _parseOptions } from "../args/_args.ts";
import { _formatProgram } from "./_format_program.ts";

const _USAGE = `Usage: bpfstream asm [-d|-dd|-ddd] [FILE|-]

Assembles a program in the syntax of the Linux bpf_asm tool (labels, comments,
'ldh [12]', 'jeq #0x800, L1, L2', 'ld #proto', 'ret #-1') read from FILE or
standard input, and prints it in the iptables --bytecode form
("4,48 0 0 9,21 0 1 6,6 0 0 1,6 0 0 0"), ready for '-m bpf --bytecode'.

  -d / -dd / -ddd         print as tcpdump -d (listing), -dd (C array) or
                          -ddd (decimal lines) instead`;

/**
 * The `asm` subcommand.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { asmCommand } from "./asm_command.ts";
 * import { _testIo } from "./_test_io.ts";
 * const program = "ldh [12]\njeq #0x800, L1, L2\nL1: ret #-1\nL2: ret #0\n";
 * const { io, stdoutText } = _testIo({ files: { "prog.bpf": program } });
 * assert.equal(await asmCommand.run(["prog.bpf"], io), 0);
 * assert.equal(stdoutText(), "4,40 0 0 12,21 0 1 2048,6 0 0 4294967295,6 0 0 0\n");
 * ```
 */
export const asmCommand: CliCommand = {
  name: "asm",
  summary: "assemble bpf_asm text into an iptables --bytecode line",
  usage: _USAGE,
  async run(args, io) {
    const parsed = _parseOptions("asm", args, {
      d: { type: "boolean", short: "d", multiple: true },
    });
    const path = _inputPath(parsed, "asm");
    const text = await _readText(io, path);
    let program;
    try {
      program = assemble(text);
    } catch (error) {
      throw DataError.from(path === "-" ? "<stdin>" : path, error);
    }
    const format = parsed.values.d;
    const level = Array.isArray(format) ? format.length : 0;
    await _writeText(
      io.stdout,
      level === 0 ? formatBytecode(program) + "\n" : _formatProgram(program, level),
    );
    return 0;
  },
};
