/**
 * `filter`'s output as `tcpdump -r IN -w OUT` writes it: libpcap hands
 * tcpdump every packet as a `pcap_pkthdr` (microseconds, host byte order,
 * the captured length cut to the snapshot length) and `pcap_dump` writes a
 * classic pcap file of its own (./_tcpdump_header.ts). So a pcapng input
 * comes out as pcap (./_tcpdump_pcapng_records.ts), a nanosecond,
 * big-endian or modified (`a1b2cd34`) pcap as a plain microsecond
 * little-endian one, and a record longer than the file's snaplen cut to it
 * (./_tcpdump_pcap_records.ts).
 *
 * The router's output (the accepted records, in the input's format) goes
 * through {@linkcode _TcpdumpForm}. A plain little-endian microsecond pcap
 * whose snapshot length no record can exceed (the common case, and every
 * capture tcpdump writes) needs only its 24-byte header rewritten: every
 * later byte goes out as it came, views of the input blocks, no copy.
 *
 * Assumes a little-endian host (tcpdump writes host order; Deno runs on
 * x86-64 and arm64, both little-endian).
 *
 * @module
 */
import { _DEFAULT_MAX_CAPTURED_LENGTH, _PCAP_FILE_HEADER } from "../capture/_pcap_layout.ts";
import { _PCAP_MAGIC_US } from "../capture/_capture_magic.ts";
import type { _OutputForm } from "./_pipe_router.ts";
import { _PcapRecordsForm } from "./_tcpdump_pcap_records.ts";
import { _PcapngRecordsForm } from "./_tcpdump_pcapng_records.ts";

const _EMPTY = new Uint8Array(0);

/** Rewrites the router's output capture as `tcpdump -w` writes it (see the module documentation). */
export class _TcpdumpForm implements _OutputForm {
  readonly #name: string;
  /** The bytes before the format is known (fewer than a pcap file header). */
  #head = _EMPTY;
  /** Every byte passes through (a plain pcap). */
  #plain = false;
  #records: _PcapRecordsForm | _PcapngRecordsForm | undefined;

  /** `name`: the input, for the message when an interface cannot be written. */
  constructor(name: string) {
    this.#name = name;
  }

  /** The bytes to write for `chunk` (views of it, or copies). */
  transform(chunk: Uint8Array): Uint8Array[] {
    if (this.#plain) return [chunk];
    const pieces: Uint8Array[] = [];
    if (this.#records === undefined) {
      if (this.#head.length > 0) chunk = _joined(this.#head, chunk);
      if (chunk.length < _PCAP_FILE_HEADER) {
        this.#head = chunk.slice();
        return pieces;
      }
      this.#head = _EMPTY;
      chunk = this.#start(chunk, pieces);
      if (this.#plain) {
        if (chunk.length > 0) pieces.push(chunk);
        return pieces;
      }
    }
    this.#records!.transform(chunk, pieces);
    return pieces;
  }

  /** The bytes still to write, at the end of the output. */
  finish(): Uint8Array[] {
    const pieces: Uint8Array[] = [];
    // Fewer bytes than a file header: not a capture the router writes (it fails first).
    if (this.#head.length > 0) pieces.push(this.#head);
    this.#records?.finish(pieces);
    return pieces;
  }

  /** Chooses the form from the capture's start; returns the rest of `chunk` to transform. */
  #start(chunk: Uint8Array, pieces: Uint8Array[]): Uint8Array {
    // pcapng: the Section Header Block's type.
    if (chunk[0] === 0x0a && chunk[1] === 0x0d && chunk[2] === 0x0d && chunk[3] === 0x0a) {
      this.#records = new _PcapngRecordsForm(this.#name);
      return chunk;
    }
    const records = new _PcapRecordsForm(chunk.subarray(0, _PCAP_FILE_HEADER));
    pieces.push(records.header);
    const view = new DataView(chunk.buffer, chunk.byteOffset, _PCAP_FILE_HEADER);
    // A plain pcap whose records no snapshot length cuts (a longer one is an input error).
    const snapshot = new DataView(records.header.buffer).getUint32(16, true);
    this.#plain = view.getUint32(0, true) === _PCAP_MAGIC_US &&
      snapshot >= _DEFAULT_MAX_CAPTURED_LENGTH;
    if (!this.#plain) this.#records = records;
    return chunk.subarray(_PCAP_FILE_HEADER);
  }
}

function _joined(a: Uint8Array, b: Uint8Array): Uint8Array {
  const joined = new Uint8Array(a.length + b.length);
  joined.set(a);
  joined.set(b, a.length);
  return joined;
}
