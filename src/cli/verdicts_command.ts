/**
 * `bpfstream verdicts`: one line per packet with the program's return value.
 *
 * @module
 */
import type { CompiledProgram } from "../bpf/compile.ts";
import type { CliCommand } from "./cli_command.ts";
import { _openInput } from "./_input.ts";
import { _TextWriter, _writeText } from "./_output.ts";
import { _loadProgram } from "./_program.ts";
import { _runnable } from "./_runnable.ts";
import { _readPackets } from "./_read_packets.ts";
import { _FrameView } from "./_frame_context.ts";
import { _linkLayerHint } from "./_link_layer_hint.ts";
import type { FilterInterface } from "../filter/filter_options_for_interface.ts";
import { _base, _flag, _inputPath, _integer, _parseOptions, _strategy } from "../args/_args.ts";

const _USAGE = `Usage: bpfstream verdicts (--bytecode PROG | --expr EXPR | --asm FILE)
                          [--base link|network] [--max-instructions N]
                          [--strategy S] [--allow-backward-jumps] [FILE|-]

Runs the program on every packet of a pcap or pcapng capture (FILE, or
standard input) and prints one line per packet: the program's return value in
decimal (0 = no match; tcpdump programs return the snaplen on a match), or
'-' for a packet the program is not run on (a network-base program on a frame
without an IPv4/IPv6 header; an --expr that cannot be compiled for the
packet's link type, with a note on stderr). Compare with libpcap's verdicts packet by packet.

  --bytecode PROG         iptables form "4,48 0 0 9,..." or tcpdump -dd/-ddd text
  --expr EXPR             a tcpdump filter expression, compiled for RAW IP on
                          the network base; on the link base as 'tcpdump -r'
                          compiles it for each capture interface (its link
                          type, snaplen as the match value, byte order)
  --asm FILE              bpf_asm source ('-' for stdin)
  --base link|network     offset 0 at the link-layer header (tcpdump programs,
                          'tcpdump -ddd' output) or at the IP header (iptables
                          xt_bpf). Default: network, as iptables.
  --max-instructions N    largest program accepted, 1..4096 (default 4096)
  --strategy S            closure, source, or interpret (the reference
                          interpreter). Default: the measured default, the
                          fastest this runtime allows (what compile() picks)
  --allow-backward-jumps  accept libpcap's backward 'ja' (tcpdump's protochain
                          programs), which the Linux checker refuses`;

/**
 * The `verdicts` subcommand.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { verdictsCommand } from "./verdicts_command.ts";
 * import { _testIo } from "./_test_io.ts";
 * // A pcap file header, then one 2-byte Ethernet record.
 * const pcap = new Uint8Array([
 *   0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 1, 0, 0, 0,
 *   1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 60, 0, 0, 0, 0xaa, 0xbb,
 * ]);
 * const { io, stdoutText } = _testIo({ files: { "capture.pcap": pcap } });
 * const args = ["--base", "link", "--expr", "tcp", "capture.pcap"];
 * assert.equal(await verdictsCommand.run(args, io), 0);
 * assert.equal(stdoutText(), "0\n"); // one verdict a line: not TCP
 * ```
 */
export const verdictsCommand: CliCommand = {
  name: "verdicts",
  summary: "print the program's return value for each packet",
  usage: _USAGE,
  async run(args, io) {
    const parsed = _parseOptions("verdicts", args, {
      bytecode: { type: "string" },
      expr: { type: "string" },
      asm: { type: "string" },
      base: { type: "string" },
      "max-instructions": { type: "string" },
      strategy: { type: "string" },
      "allow-backward-jumps": { type: "boolean" },
    });
    const backward = _flag(parsed, "allow-backward-jumps");
    const base = _base(parsed, "verdicts");
    const strategy = _strategy(parsed, "verdicts");
    const maxInstructions = _integer(parsed, "max-instructions", "verdicts", 1, 4096, 4096);
    const path = _inputPath(parsed, "verdicts");
    const source = await _loadProgram(parsed, "verdicts", io, base, ["bytecode", "expr", "asm"]);
    const runnables = new Map<FilterInterface, CompiledProgram | null>();
    const notes: string[] = [];
    // A program for the capture interface, or null where the expression
    // cannot be compiled for it (its packets print "-", with a note on stderr).
    const forInterface = (iface: FilterInterface): CompiledProgram | null => {
      let run = runnables.get(iface);
      if (run === undefined) {
        try {
          run = _runnable(
            source.name,
            source.forInterface(iface),
            strategy,
            maxInstructions,
            backward,
          );
        } catch (error) {
          if (source.fixed) throw error;
          const message = error instanceof Error ? error.message : String(error);
          notes.push(`bpfstream: note: ${message}; its packets print '-'\n`);
          run = null;
        }
        runnables.set(iface, run);
      }
      return run;
    };
    // Report a refused program before reading input.
    if (source.fixed) forInterface({ linkType: 1, snaplen: 0, littleEndian: true });
    const input = await _openInput(io, path);
    const out = new _TextWriter(io.stdout);
    const view = new _FrameView(base);
    let lastInterface: FilterInterface | undefined;
    let run: CompiledProgram | null = null;
    let packets = 0, matched = 0;
    try {
      await _readPackets(
        input,
        (bytes, start, capturedLength, wireLength, linkType, interfaceIndex, _number, iface) => {
          if (iface !== lastInterface) {
            run = forInterface(iface);
            lastInterface = iface;
          }
          packets++;
          if (
            run === null ||
            !view.load(bytes, start, capturedLength, wireLength, linkType, interfaceIndex)
          ) {
            out.write("-\n");
            return;
          }
          const result = run(bytes, view.context) >>> 0;
          if (result !== 0) matched++;
          out.write(`${result}\n`);
        },
        () => out.maybeFlush(),
      );
    } finally {
      await out.flush();
    }
    if (source.fixed) {
      const program = source.forLinkType(1);
      const hint = _linkLayerHint(program, base, packets, matched);
      if (hint) notes.push(hint);
    }
    if (notes.length) await _writeText(io.stderr, notes.join(""));
    return 0;
  },
};
