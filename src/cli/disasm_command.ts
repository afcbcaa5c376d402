/**
 * `bpfstream disasm`: print a program as `tcpdump -d` does.
 *
 * @module
 */
import { disassemble } from "../bpf/disassemble.ts";
import type { CliCommand } from "./cli_command.ts";
import { _writeText } from "./_output.ts";
import { _loadProgram } from "./_program.ts";
import { _base, _noPositionals, _parseOptions } from "../args/_args.ts";

const _USAGE = `Usage: bpfstream disasm (--bytecode PROG | --expr EXPR) [--base link|network]

Prints the program in the format of tcpdump -d, one instruction per line:
  (000) ldh      [12]
  (001) jeq      #0x800           jt 2	jf 3

  --bytecode PROG         iptables form "4,48 0 0 9,..." or tcpdump -dd/-ddd text
  --expr EXPR             a tcpdump filter expression (RAW IP for the network
                          base, Ethernet for --base link; see also 'compile -d')`;

/**
 * The `disasm` subcommand.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { disasmCommand } from "./disasm_command.ts";
 * import { _testIo } from "./_test_io.ts";
 * const { io, stdoutText } = _testIo();
 * assert.equal(await disasmCommand.run(["--bytecode", "1,6 0 0 0"], io), 0);
 * assert.equal(stdoutText(), "(000) ret      #0\n");
 * ```
 */
export const disasmCommand: CliCommand = {
  name: "disasm",
  summary: "print a program as tcpdump -d does",
  usage: _USAGE,
  async run(args, io) {
    const parsed = _parseOptions("disasm", args, {
      bytecode: { type: "string" },
      expr: { type: "string" },
      base: { type: "string" },
    });
    _noPositionals(parsed, "disasm", " (quote the program and give it with --bytecode)");
    const source = await _loadProgram(parsed, "disasm", io, _base(parsed, "disasm"), [
      "bytecode",
      "expr",
    ]);
    await _writeText(io.stdout, disassemble(source.forLinkType(1)));
    return 0;
  },
};
