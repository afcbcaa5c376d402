/**
 * `bpfstream compile`: the tcpdump filter language to classic BPF.
 *
 * @module
 */
import { formatBytecode } from "../bpf/format_bytecode.ts";
import { compileFilter } from "../filter/compile_filter.ts";
import type { CliCommand } from "./cli_command.ts";
import { DataError } from "./data_error.ts";
import { UsageError } from "../args/usage_error.ts";
import { _writeText } from "./_output.ts";
import { _count, _flag, _integer, _parseOptions, _string } from "../args/_args.ts";
import { _formatProgram } from "./_format_program.ts";
import { _linkTypeName, _parseLinkType } from "./_link_types.ts";

const _USAGE = `Usage: bpfstream compile [-y LINKTYPE] [-d|-dd|-ddd] [-O] [-s SNAPLEN]
                         [--allow-reject-all] EXPRESSION...

Compiles a tcpdump (pcap-filter) expression to classic BPF, as libpcap 1.10
does. The words of EXPRESSION are joined with spaces, as tcpdump does.
Without -d, prints the iptables --bytecode form ("N,code jt jf k,...") for
'-m bpf --bytecode'.

  -y LINKTYPE     link type: EN10MB (default), LINUX_SLL, LINUX_SLL2, NULL,
                  LOOP, RAW, IPV4, IPV6, or a LINKTYPE_ number. For an
                  iptables rule (offset 0 at the IP header) use -y RAW.
  -d              print the program as tcpdump -d (listing)
  -dd             print it as tcpdump -dd (C array)
  -ddd            print it as tcpdump -ddd (count, then decimal lines)
  -O              do not run the optimizer. The program gives tcpdump -O's
                  results on every packet but is not its instruction list:
                  bpfstream's code generator already emits simplified tests
                  (libpcap's unoptimized code goes through scratch memory),
                  so it is usually much shorter (docs/filter.md)
  -s SNAPLEN      value returned on a match (default 262144)
  --allow-reject-all
                  print 'ret #0' for an expression that matches no packet,
                  where tcpdump (and, by default, bpfstream) reports
                  "expression rejects all packets"

As tcpdump -y TYPE -d, the program is compiled as for a live capture
(pcap_open_dead); 'filter' and 'verdicts' compile --expr for each capture
file as tcpdump -r does (on NULL/LOOP 'ip6' then tests every BSD's AF_INET6).`;

/**
 * The `compile` subcommand.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { compileCommand } from "./compile_command.ts";
 * import { _testIo } from "./_test_io.ts";
 * const { io, stdoutText } = _testIo();
 * assert.equal(await compileCommand.run(["-y", "RAW", "-ddd", "tcp", "port", "22"], io), 0);
 * const [count, first] = stdoutText().split("\n");
 * assert.equal(count, "23"); // instructions, as `tcpdump -y RAW -ddd tcp port 22`
 * assert.equal(first, "48 0 0 0"); // ldb [0]: the IP version
 * ```
 */
export const compileCommand: CliCommand = {
  name: "compile",
  summary: "compile a tcpdump filter expression to classic BPF",
  usage: _USAGE,
  async run(args, io) {
    const parsed = _parseOptions("compile", args, {
      y: { type: "string", short: "y" },
      d: { type: "boolean", short: "d", multiple: true },
      O: { type: "boolean", short: "O" },
      s: { type: "string", short: "s" },
      "allow-reject-all": { type: "boolean" },
    });
    const expression = parsed.positionals.join(" ");
    if (expression.trim() === "") {
      throw new UsageError("Cannot run compile: an EXPRESSION is required", "compile");
    }
    const yText = _string(parsed, "y");
    const linkType = yText === undefined ? 1 : _parseLinkType(yText, "compile");
    const snaplen = _integer(parsed, "s", "compile", 1, 0xffffffff, 262144);
    let program;
    try {
      program = compileFilter(expression, {
        linkType,
        snaplen,
        optimize: !_flag(parsed, "O"),
        allowRejectAll: _flag(parsed, "allow-reject-all"),
      });
    } catch (error) {
      const where = yText === undefined ? "" : ` (link type ${_linkTypeName(linkType)})`;
      const message = error instanceof Error ? error.message : String(error);
      throw new DataError("expression", message + where, { cause: error });
    }
    const level = _count(parsed, "d");
    await _writeText(
      io.stdout,
      level === 0 ? formatBytecode(program) + "\n" : _formatProgram(program, level),
    );
    if (program.length > 64) {
      await _writeText(
        io.stderr,
        `bpfstream: note: ${program.length} instructions, more than xt_bpf's 64 (rule files accept up to 4096 with --max-instructions, and --expr rules always)\n`,
      );
    }
    return 0;
  },
};
