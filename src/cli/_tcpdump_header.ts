/**
 * The file header `tcpdump -w` writes (libpcap's `pcap_dump_open`): magic
 * `a1b2c3d4` (microseconds, host order: little-endian here), version 2.4,
 * time zone and accuracy 0, the snapshot length as libpcap adjusted it when
 * it opened the input, the link type as libpcap maps it back.
 *
 * @module
 */
import { _DEFAULT_MAX_CAPTURED_LENGTH, _PCAP_FILE_HEADER } from "../capture/_pcap_layout.ts";
import { _PCAP_MAGIC_US } from "../capture/_capture_magic.ts";

/** Largest snapshot length libpcap takes as given (`INT_MAX`). */
export const _INT_MAX = 0x7fffffff;

/**
 * libpcap's `linktype_to_dlt` then `dlt_to_linktype` (Linux): the file's
 * link-type values that tcpdump writes back as another (DLT values some
 * files store, mapped to their LINKTYPE values); any other comes back as is.
 */
const _LINKTYPE_ROUND_TRIP: ReadonlyMap<number, number> = new Map([
  [11, 100], // DLT_ATM_RFC1483
  [12, 101], // DLT_RAW (Linux)
  [15, 102], // DLT_SLIP_BSDOS
  [16, 103], // DLT_PPP_BSDOS
  [19, 106], // DLT_ATM_CLIP (Linux)
]);

/** libpcap's `max_snaplen_for_dlt`, by the file's link-type value. */
function _maxSnaplen(linkType: number): number {
  switch (linkType) {
    case 231: // DBUS
      return 128 * 1024 * 1024;
    case 279: // EBHSCR
      return 8 * 1024 * 1024;
    case 220: // USB_LINUX_MMAPPED
    case 249: // USBPCAP
      return 1024 * 1024;
    default:
      return _DEFAULT_MAX_CAPTURED_LENGTH;
  }
}

/** libpcap's `pcap_adjust_snapshot`: 0 or above `INT_MAX` is the link type's maximum. */
export function _adjustSnapshot(linkType: number, snaplen: number): number {
  return snaplen === 0 || snaplen > _INT_MAX ? _maxSnaplen(linkType) : snaplen;
}

/**
 * The 24-byte header for a link-type field (`linkTypeField`: pcap's 32 bits,
 * the FCS bits kept; pcapng's link type) and a snapshot length.
 */
export function _tcpdumpHeader(linkTypeField: number, snapshot: number): Uint8Array {
  const header = new Uint8Array(_PCAP_FILE_HEADER);
  const view = new DataView(header.buffer);
  const linkType = linkTypeField & 0xffff;
  const mapped = _LINKTYPE_ROUND_TRIP.get(linkType) ?? linkType;
  view.setUint32(0, _PCAP_MAGIC_US, true);
  view.setUint16(4, 2, true);
  view.setUint16(6, 4, true);
  view.setUint32(16, snapshot, true);
  view.setUint32(20, ((linkTypeField & 0xffff0000) | mapped) >>> 0, true);
  return header;
}
