/**
 * The hint for a network-base program that never matched but reads like a
 * tcpdump program: one that loads the Ethernet type field (`ldh [12]`) and
 * compares it with an EtherType.
 *
 * @module
 */
import type { Instruction } from "../bpf/instruction.ts";
import { BPF_ABS, BPF_H, BPF_JEQ, BPF_JMP, BPF_K, BPF_LD } from "../bpf/opcodes.ts";

/** Smallest EtherType (values below are 802.3 lengths). */
const _ETHERTYPE_MIN = 0x0600;

/** Whether `program` tests an EtherType at offset 12, as link-layer programs on Ethernet do. */
export function _looksLinkLayer(program: readonly Instruction[]): boolean {
  for (let i = 0; i + 1 < program.length; i++) {
    const load = program[i], test = program[i + 1];
    if (load.code !== (BPF_LD | BPF_H | BPF_ABS) || load.k !== 12) continue;
    if (test.code === (BPF_JMP | BPF_JEQ | BPF_K) && test.k >= _ETHERTYPE_MIN && test.k <= 0xffff) {
      return true;
    }
  }
  return false;
}

/**
 * The stderr line to print when a `--base network` program matched none of
 * `packets` (> 0) packets and looks like a link-layer program; else undefined.
 */
export function _linkLayerHint(
  program: readonly Instruction[],
  base: "link" | "network",
  packets: number,
  matched: number,
): string | undefined {
  if (base !== "network" || packets === 0 || matched !== 0 || !_looksLinkLayer(program)) {
    return undefined;
  }
  return `bpfstream: hint: the program matched none of ${packets} packets; it tests an EtherType at offset 12 (ldh [12]) as tcpdump programs do, but with --base network offset 0 is the IP header: try --base link\n`;
}
