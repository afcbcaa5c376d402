/**
 * Private: the magic numbers that open a capture, and the format they name.
 * The one place that knows them (the decoder and the HTTP service both ask
 * here).
 *
 * @module
 */

/** pcap, microsecond timestamps. */
export const _PCAP_MAGIC_US = 0xa1b2c3d4;
/** pcap, nanosecond timestamps. */
export const _PCAP_MAGIC_NS = 0xa1b23c4d;
/** Alexey Kuznetzov's patched libpcap: 8 more bytes per record header. */
export const _PCAP_MAGIC_MODIFIED = 0xa1b2cd34;
/** pcapng Section Header Block type (the same in both byte orders). */
export const _PCAPNG_SHB = 0x0a0d0d0a;

/** Whether `word` is a pcap magic number in the file's own byte order. */
export function _isPcapMagic(word: number): boolean {
  return word === _PCAP_MAGIC_US || word === _PCAP_MAGIC_NS || word === _PCAP_MAGIC_MODIFIED;
}

/**
 * The format of a capture whose first 4 bytes read `bigEndian` as a
 * big-endian and `littleEndian` as a little-endian uint32; null when they
 * open neither a pcap nor a pcapng file.
 */
export function _captureFormat(bigEndian: number, littleEndian: number): "pcap" | "pcapng" | null {
  if (bigEndian === _PCAPNG_SHB) return "pcapng";
  return _isPcapMagic(bigEndian) || _isPcapMagic(littleEndian) ? "pcap" : null;
}
