/**
 * Test helper: the CLI run in-process (`bpfstream filter`/`trace`) as the
 * oracle of the workbench tests.
 *
 * @module
 */
import { runCli } from "../src/cli/run_cli.ts";
import { _testIo } from "../src/cli/_test_io.ts";

/** What `bpfstream filter --rules R --json --drop-to D CAPTURE` produced. */
export interface CliFilterResult {
  accepted: Uint8Array;
  dropped: Uint8Array;
  stats: {
    chains: {
      name: string;
      counters?: { packets: number; bytes: number };
      rules: { packets: number; bytes: number }[];
    }[];
    frames: { packets: number; bytes: number };
    accepted: { packets: number; bytes: number };
    dropped: { packets: number; bytes: number };
  };
}

/** Runs `bpfstream filter --keep-format` on `capture` with `rules`. */
export async function cliFilter(rules: string, capture: Uint8Array): Promise<CliFilterResult> {
  const t = _testIo({ files: { "rules": rules, "in.pcap": capture } });
  // The input's format kept, as filterCapture() keeps it.
  const args = [
    "filter",
    "--keep-format",
    "--rules",
    "rules",
    "--json",
    "--drop-to",
    "dropped",
    "in.pcap",
  ];
  const status = await runCli(args, t.io);
  if (status !== 0) throw new Error(`bpfstream filter failed (${status}): ${t.stderr()}`);
  return {
    accepted: t.stdout(),
    dropped: t.written.get("dropped") ?? new Uint8Array(0),
    stats: JSON.parse(t.stderr()),
  };
}

/** The lines of `bpfstream trace --bytecode PROG --base BASE --packet N` (1-based). */
export async function cliTrace(
  bytecode: string,
  base: "network" | "link",
  packet: number,
  capture: Uint8Array,
): Promise<string[]> {
  const t = _testIo({ files: { "in.pcap": capture } });
  const args = [
    "trace",
    "--bytecode",
    bytecode,
    "--base",
    base,
    "--packet",
    String(packet),
    "in.pcap",
  ];
  const status = await runCli(args, t.io);
  if (status !== 0) throw new Error(`bpfstream trace failed (${status}): ${t.stderr()}`);
  return t.stdoutText().trimEnd().split("\n");
}

/** A step as `bpfstream trace` prints it (see `src/cli/trace_command.ts`). */
export function traceLine(instruction: string, a: string, x: string, scratch: string): string {
  return `${instruction.padEnd(44)} A=${a} X=${x}${scratch ? " " + scratch : ""}`;
}
