import type { CompileFilterOptions } from "./compile_filter.ts";

/** What {@linkcode filterOptionsForInterface} needs of a capture interface. */
export interface FilterInterface {
  /** LINKTYPE_ value of the interface (pcap header or pcapng IDB). */
  readonly linkType: number;
  /** Snapshot length as written in the file (0 = unlimited). */
  readonly snaplen: number;
  /** Byte order of the pcap file header or the pcapng section. */
  readonly littleEndian: boolean;
}

/**
 * libpcap's largest snapshot length for the link types the compiler knows
 * (`MAXIMUM_SNAPLEN`); a file that declares 0 or more gets this instead.
 */
const _MAXIMUM_SNAPLEN = 262144;

/**
 * The {@linkcode compileFilter} options that compile an expression as
 * `tcpdump -r FILE EXPRESSION` does for one capture interface (a pcap file,
 * or one interface of a pcapng section): its link type, the file's snapshot
 * length as the accept value (libpcap's `pcap_snapshot`, 262144 where the
 * file says 0 or more), and the byte order that libpcap uses for BSD
 * loopback's address-family word. Pass a `CaptureInterface` of the decoder.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { compileFilter } from "./compile_filter.ts";
 * import { filterOptionsForInterface } from "./filter_options_for_interface.ts";
 * // A little-endian DLT_NULL file with snaplen 65535, as `tcpdump -r` sees it.
 * const options = filterOptionsForInterface({ linkType: 0, snaplen: 65535, littleEndian: true });
 * assert.deepEqual(options, { linkType: 0, snaplen: 65535, savefileByteOrder: "little-endian" });
 * const program = compileFilter("ip6", options);
 * // Every BSD's AF_INET6 (30, 24, 28), then `ret #65535`.
 * assert.deepEqual(program.map((i) => i.k), [0, 0x1e000000, 0x18000000, 0x1c000000, 65535, 0]);
 * ```
 */
export function filterOptionsForInterface(
  captureInterface: FilterInterface,
): CompileFilterOptions & { savefileByteOrder: "little-endian" | "big-endian" } {
  const declared = captureInterface.snaplen >>> 0;
  return {
    linkType: captureInterface.linkType,
    snaplen: declared === 0 || declared > _MAXIMUM_SNAPLEN ? _MAXIMUM_SNAPLEN : declared,
    savefileByteOrder: captureInterface.littleEndian ? "little-endian" : "big-endian",
  };
}
