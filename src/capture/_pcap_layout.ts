/**
 * Private: how the records of a classic pcap capture are laid out, for a
 * caller that walks whole records itself (the command line's Wasm walk)
 * between the {@linkcode CaptureDecoder}'s pushes.
 *
 * @module
 */

/** Bytes of a classic pcap file header. */
export const _PCAP_FILE_HEADER = 24;
/** Bytes of a pcap record header: 16, or 24 with the modified pcap magic. */
export const _PCAP_RECORD_HEADER = 16;
export const _PCAP_MODIFIED_RECORD_HEADER = 24;
/** The decoder's default limit on a record's captured length (libpcap's). */
export const _DEFAULT_MAX_CAPTURED_LENGTH = 262144;
/** The decoder's default limit on a pcapng block's length. */
export const _DEFAULT_MAX_BLOCK_LENGTH = 16 * 1024 * 1024;

/** The record layout of a pcap capture, fixed by its file header. */
export interface _PcapLayout {
  /** Bytes of each record header: 16, or 24 (the modified pcap magic). */
  readonly recordHeader: number;
  /** The header's byte order. */
  readonly littleEndian: boolean;
  /** Bytes of a record a filter sees at most: the file's snaplen (0 or
   * above `maxCapturedLength`: `maxCapturedLength`, as libpcap). */
  readonly snaplen: number;
  /** The decoder's limit: a larger captured length is an error. */
  readonly maxCapturedLength: number;
}
