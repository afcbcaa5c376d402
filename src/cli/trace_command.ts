/**
 * `bpfstream trace`: step through a program on one packet, like `bpf_dbg`.
 *
 * @module
 */
import { disassemble } from "../bpf/disassemble.ts";
import type { Instruction } from "../bpf/instruction.ts";
import { type Trace, trace } from "../bpf/trace.ts";
import { validate } from "../bpf/validate.ts";
import type { CliCommand } from "./cli_command.ts";
import { DataError } from "./data_error.ts";
import { UsageError } from "../args/usage_error.ts";
import { _openInput } from "./_input.ts";
import { _writeText } from "./_output.ts";
import { _loadProgram } from "./_program.ts";
import { _readPackets } from "./_read_packets.ts";
import { _FrameView } from "./_frame_context.ts";
import { _base, _flag, _inputPath, _integer, _parseOptions, _string } from "../args/_args.ts";
import { _linkTypeName } from "./_link_types.ts";

const _USAGE = `Usage: bpfstream trace (--bytecode PROG | --expr EXPR | --asm FILE) --packet N
                       [--base link|network] [FILE|-]

Runs the program on packet N (1-based, as tcpdump -# and Wireshark number
them) of a capture and prints every executed instruction (tcpdump -d text)
with the registers A and X after it and the scratch cells M[] it read (=) or
wrote (<-), then the result, like the kernel's bpf_dbg. The tool for "why
does my rule not match this packet".

  --packet N              the packet to trace (1-based)
  --base link|network     offset 0 at the link-layer header or at the IP
                          header (default network, as iptables xt_bpf)
  --allow-backward-jumps  accept libpcap's backward 'ja' (protochain loops)`;

function _hex(value: number): string {
  return "0x" + (value >>> 0).toString(16).padStart(8, "0");
}

/** The trace listing of one run. */
function _formatTrace(program: readonly Instruction[], run: Trace): string {
  const listing = disassemble(program).split("\n");
  let out = "";
  for (const step of run.steps) {
    const text = (listing[step.pc] ?? `(${step.pc}) ?`).replaceAll("\t", " ");
    let line = `${text.padEnd(44)} A=${_hex(step.a)} X=${_hex(step.x)}`;
    for (const cell of step.scratch) {
      line += cell.write
        ? ` M[${cell.index}]<-${_hex(cell.value)}`
        : ` M[${cell.index}]=${_hex(cell.value)}`;
    }
    out += line + "\n";
  }
  if (run.abort) out += `aborted: ${run.abort}\n`;
  const result = run.result >>> 0;
  out += `result: ${result} (${result === 0 ? "no match" : "match"})\n`;
  return out;
}

/**
 * The `trace` subcommand.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { traceCommand } from "./trace_command.ts";
 * import { _testIo } from "./_test_io.ts";
 * // A pcap file header, then one 2-byte Ethernet record.
 * const pcap = new Uint8Array([
 *   0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 1, 0, 0, 0,
 *   1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 60, 0, 0, 0, 0xaa, 0xbb,
 * ]);
 * const { io, stdoutText } = _testIo({ files: { "capture.pcap": pcap } });
 * const args = ["--base", "link", "--expr", "tcp", "--packet", "1", "capture.pcap"];
 * assert.equal(await traceCommand.run(args, io), 0);
 * assert.deepEqual(stdoutText().split("\n").slice(2), [
 *   "aborted: load of 2 bytes at offset 12 is out of bounds",
 *   "result: 0 (no match)",
 *   "",
 * ]);
 * ```
 */
export const traceCommand: CliCommand = {
  name: "trace",
  summary: "step through a program on one packet, like bpf_dbg",
  usage: _USAGE,
  async run(args, io) {
    const parsed = _parseOptions("trace", args, {
      bytecode: { type: "string" },
      expr: { type: "string" },
      asm: { type: "string" },
      base: { type: "string" },
      packet: { type: "string" },
      "allow-backward-jumps": { type: "boolean" },
    });
    const allowBackwardJumps = _flag(parsed, "allow-backward-jumps");
    if (_string(parsed, "packet") === undefined) {
      throw new UsageError("Cannot run trace: --packet N is required", "trace");
    }
    const wanted = _integer(parsed, "packet", "trace", 1, Number.MAX_SAFE_INTEGER, 1);
    const base = _base(parsed, "trace");
    const path = _inputPath(parsed, "trace");
    const source = await _loadProgram(parsed, "trace", io, base, ["bytecode", "expr", "asm"]);
    const input = await _openInput(io, path);
    const view = new _FrameView(base);
    let text: string | undefined;
    let seen = 0;
    await _readPackets(
      input,
      (bytes, start, capturedLength, wireLength, linkType, interfaceIndex, number, iface) => {
        seen = number;
        if (number !== wanted) return false;
        let head =
          `packet ${number}: ${capturedLength} bytes captured, ${wireLength} on the wire, link type ${
            _linkTypeName(linkType)
          }, ${base} base\n`;
        if (!view.load(bytes, start, capturedLength, wireLength, linkType, interfaceIndex)) {
          text = head +
            "not run: a network-base program runs only on frames with an IPv4/IPv6 header\n";
          return true;
        }
        const program = source.forInterface(iface);
        try {
          validate(program, { maxInstructions: 4096, allowBackwardJumps });
        } catch (error) {
          throw DataError.from(source.name, error);
        }
        if (base === "network") {
          head += `offset 0 is byte ${
            view.context.dataOffset! - start
          } of the frame; ld len = ${view.context.wireLength}\n`;
        }
        text = head + _formatTrace(program, trace(program, bytes, view.context));
        return true;
      },
    );
    if (text === undefined) {
      throw new DataError(
        input.name,
        `Cannot trace packet ${wanted}: the capture has ${seen} packet${seen === 1 ? "" : "s"}`,
      );
    }
    await _writeText(io.stdout, text);
    return 0;
  },
};
