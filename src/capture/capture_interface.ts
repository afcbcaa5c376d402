/**
 * The description of one capture interface.
 *
 * @module
 */

/**
 * One interface of a capture: the single "interface" of a pcap file (from its
 * file header), or one pcapng Interface Description Block.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { CaptureDecoder } from "./capture_decoder.ts";
 * import type { CaptureInterface } from "./capture_interface.ts";
 * const decoder = new CaptureDecoder();
 * decoder.push(new Uint8Array([
 *   0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0,
 *   0xff, 0xff, 0, 0, 1, 0, 0, 0,
 * ]));
 * const first: CaptureInterface = decoder.interfaces[0];
 * assert.equal(first.linkType, 1);
 * assert.equal(first.snaplen, 65535);
 * ```
 */
export interface CaptureInterface {
  /** Global index, counted over all pcapng sections in stream order (pcap: 0). */
  readonly index: number;
  /** Index of the interface inside its pcapng section (the EPB interface id; pcap: 0). */
  readonly localIndex: number;
  /** 0-based pcapng section number (pcap: 0). */
  readonly section: number;
  /** The container format the interface was declared in. */
  readonly format: "pcap" | "pcapng";
  /** LINKTYPE_ value (pcap: the header's link type without the FCS bits). */
  readonly linkType: number;
  /** Snapshot length as written in the file (0 = unlimited in pcapng). */
  readonly snaplen: number;
  /** Byte order of the file header (pcap) or of the section (pcapng). */
  readonly littleEndian: boolean;
  /** Timestamp ticks per second (pcap: 1e6 or 1e9; pcapng: from `if_tsresol`, default 1e6). */
  readonly timestampResolution: number;
  /** Seconds added to every timestamp (pcapng `if_tsoffset`; pcap: 0). */
  readonly timestampOffset: number;
  /** `if_name` option, when present. */
  readonly name?: string;
  /** `if_description` option, when present. */
  readonly description?: string;
  /**
   * The metadata record that declared the interface, byte for byte: the
   * 24-byte pcap file header, or the pcapng Interface Description Block.
   * Encoders copy it verbatim.
   */
  readonly block: Uint8Array;
  /** pcapng only: the Section Header Block of the interface's section, byte for byte. */
  readonly sectionHeader?: Uint8Array;
}
