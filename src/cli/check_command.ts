/**
 * `bpfstream check`: validate a program or a rule file as the kernel would.
 *
 * @module
 */
import { validate } from "../bpf/validate.ts";
import { compileRuleSet } from "../rules/compile_rule_set.ts";
import { _readRuleFile } from "./_rule_file.ts";
import type { CliCommand } from "./cli_command.ts";
import { DataError } from "./data_error.ts";
import { UsageError } from "../args/usage_error.ts";
import { _writeText } from "./_output.ts";
import { _loadProgram } from "./_program.ts";
import { _base, _integer, _noPositionals, _parseOptions, _string } from "../args/_args.ts";

const _USAGE = `Usage: bpfstream check (--bytecode PROG | --expr EXPR | --asm FILE | --rules FILE)
                       [--base link|network] [--max-instructions N]

Validates a classic BPF program exactly as the Linux kernel's checker does
(net/core/filter.c), or parses and compiles a rule file (iptables-save format).
Prints "OK" and the size on success (exit 0); otherwise the error with its
place: instruction index, or line and column (exit 1).

  --bytecode PROG         iptables form "4,48 0 0 9,..." or tcpdump -dd/-ddd text
  --expr EXPR             a tcpdump filter expression (compiled for --base)
  --asm FILE              bpf_asm source ('-' for stdin)
  --rules FILE            a rule file ('-' for stdin)
  --base link|network     where offset 0 is for --expr (default network: RAW IP)
  --max-instructions N    largest program accepted, 1..4096 (default 64,
                          xt_bpf's XT_BPF_MAX_NUM_INSTR)`;

/**
 * The `check` subcommand.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkCommand } from "./check_command.ts";
 * import { _testIo } from "./_test_io.ts";
 * const { io, stdoutText } = _testIo();
 * assert.equal(await checkCommand.run(["--bytecode", "1,6 0 0 0"], io), 0);
 * assert.equal(stdoutText(), "--bytecode: OK, 1 instruction\n");
 * ```
 */
export const checkCommand: CliCommand = {
  name: "check",
  summary: "validate a program or a rule file as the kernel would",
  usage: _USAGE,
  async run(args, io) {
    const parsed = _parseOptions("check", args, {
      bytecode: { type: "string" },
      expr: { type: "string" },
      asm: { type: "string" },
      rules: { type: "string" },
      base: { type: "string" },
      "max-instructions": { type: "string" },
    });
    _noPositionals(parsed, "check");
    const maxInstructions = _integer(parsed, "max-instructions", "check", 1, 4096, 64);
    const base = _base(parsed, "check");
    const rulesPath = _string(parsed, "rules");
    if (rulesPath !== undefined) {
      if (["bytecode", "expr", "asm"].some((name) => _string(parsed, name) !== undefined)) {
        throw new UsageError(
          "Cannot run check: give either --rules or a program, not both",
          "check",
        );
      }
      const { ruleSet, name } = await _readRuleFile(io, rulesPath, maxInstructions);
      try {
        compileRuleSet(ruleSet, { maxInstructions });
        const rules = ruleSet.chains.reduce((n, chain) => n + chain.rules.length, 0);
        const chains = ruleSet.chains.length;
        await _writeText(
          io.stdout,
          `${name}: OK, table ${ruleSet.table}, ${chains} chain${
            chains === 1 ? "" : "s"
          }, ${rules} rule${rules === 1 ? "" : "s"}\n`,
        );
      } catch (error) {
        throw DataError.from(name, error);
      }
      return 0;
    }
    const source = await _loadProgram(parsed, "check", io, base, ["bytecode", "expr", "asm"]);
    const program = source.forLinkType(1);
    try {
      validate(program, { maxInstructions });
    } catch (error) {
      throw DataError.from(source.name, error);
    }
    const n = program.length;
    await _writeText(io.stdout, `${source.name}: OK, ${n} instruction${n === 1 ? "" : "s"}\n`);
    return 0;
  },
};
