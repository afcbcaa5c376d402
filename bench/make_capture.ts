/**
 * Writes a deterministic classic pcap (little-endian, microseconds, EN10MB)
 * of mixed Ethernet traffic for the router benchmarks.
 *
 * Usage: `deno run -A bench/make_capture.ts [--frames N] [--out FILE] [--seed S]`
 * (defaults: 1,000,000 frames, `bench/data/mixed_1m.pcap`, seed 1).
 *
 * The mix (by frame): 60% IPv4 TCP, 15% IPv4 UDP, 3% ICMP, 10% IPv6 TCP/UDP,
 * 5% 802.1Q-tagged IPv4 TCP, 5% ARP, 2% LLDP. Sizes: half are small (60–80
 * bytes, e.g. ACKs), 30% 80–512, 20% 512–1514. Destination ports come from
 * {22, 53, 80, 443, 8080, 3306, 5432, 6379}, source ports from 32768–60999, so
 * the benchmarks' "non-matching" ports 20000–20099 and IP protocol 32 never
 * occur. About 15% of the frames have TCP port 80.
 *
 * @module
 */
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: {
    frames: { type: "string", default: "1000000" },
    out: { type: "string", default: new URL("./data/mixed_1m.pcap", import.meta.url).pathname },
    seed: { type: "string", default: "1" },
  },
});
const frames = Number(values.frames);
const out = values.out!;
let state = (Number(values.seed) >>> 0) || 1;

/** xorshift32: deterministic and fast. */
function _random(): number {
  state ^= state << 13;
  state >>>= 0;
  state ^= state >>> 17;
  state ^= state << 5;
  state >>>= 0;
  return state;
}
function _below(n: number): number {
  return _random() % n;
}

const DST_PORTS = [22, 53, 80, 80, 443, 443, 443, 8080, 3306, 5432, 6379];
const BLOCK = 4 << 20;
const buffer = new Uint8Array(BLOCK + 2048);
const view = new DataView(buffer.buffer);
let used = 0;
const file = await Deno.open(out, { write: true, create: true, truncate: true });

async function _drain(force: boolean): Promise<void> {
  if (used >= BLOCK || (force && used > 0)) {
    let written = 0;
    while (written < used) written += await file.write(buffer.subarray(written, used));
    used = 0;
  }
}

// Global header: magic, 2.4, thiszone 0, sigfigs 0, snaplen 262144, EN10MB.
view.setUint32(0, 0xa1b2c3d4, true);
view.setUint16(4, 2, true);
view.setUint16(6, 4, true);
view.setUint32(16, 262144, true);
view.setUint32(20, 1, true);
used = 24;

function _size(minimum: number): number {
  const r = _below(100);
  const size = r < 50 ? 60 + _below(21) : r < 80 ? 80 + _below(433) : 512 + _below(1003);
  return Math.max(size, minimum);
}

function _ipv4(at: number, protocol: number, total: number): void {
  view.setUint8(at, 0x45);
  view.setUint8(at + 1, 0);
  view.setUint16(at + 2, total);
  view.setUint16(at + 4, _below(65536));
  view.setUint16(at + 6, 0x4000);
  view.setUint8(at + 8, 64);
  view.setUint8(at + 9, protocol);
  view.setUint16(at + 10, 0); // checksum not computed: no tool here checks it
  view.setUint32(at + 12, 0x0a000000 | _below(1 << 16));
  view.setUint32(at + 16, 0xc0a80000 | _below(1 << 16));
}

function _transport(at: number, protocol: number, length: number): void {
  if (protocol === 6) {
    view.setUint16(at, 32768 + _below(28232));
    view.setUint16(at + 2, DST_PORTS[_below(DST_PORTS.length)]);
    view.setUint32(at + 4, _random());
    view.setUint32(at + 8, _random());
    view.setUint8(at + 12, 0x50);
    view.setUint8(at + 13, 0x10);
    view.setUint16(at + 14, 65535);
  } else if (protocol === 17) {
    view.setUint16(at, 32768 + _below(28232));
    view.setUint16(at + 2, DST_PORTS[_below(DST_PORTS.length)]);
    view.setUint16(at + 4, length);
  } else {
    view.setUint8(at, 8); // ICMP echo request
  }
}

const start = Date.now();
for (let n = 0; n < frames; n++) {
  const r = _below(100);
  const at = used + 16;
  let size: number;
  // Ethernet addresses
  view.setUint32(at, 0x00163e00 | _below(256));
  view.setUint16(at + 4, _below(65536));
  view.setUint32(at + 6, 0x5254_0000 | _below(65536));
  view.setUint16(at + 10, _below(65536));
  if (r < 78) {
    const protocol = r < 60 ? 6 : r < 75 ? 17 : 1;
    size = _size(14 + 20 + 20);
    view.setUint16(at + 12, 0x0800);
    const ipLength = Math.max(size - 14, 20 + (protocol === 6 ? 20 : 8));
    _ipv4(at + 14, protocol, ipLength);
    _transport(at + 34, protocol, ipLength - 20);
  } else if (r < 88) {
    const protocol = r < 84 ? 6 : 17;
    size = _size(14 + 40 + 20);
    view.setUint16(at + 12, 0x86dd);
    view.setUint32(at + 14, 0x60000000);
    view.setUint16(at + 18, size - 54);
    view.setUint8(at + 20, protocol);
    view.setUint8(at + 21, 64);
    for (let k = 0; k < 32; k += 4) view.setUint32(at + 22 + k, _random());
    _transport(at + 54, protocol, size - 54);
  } else if (r < 93) {
    size = _size(18 + 20 + 20);
    view.setUint16(at + 12, 0x8100);
    view.setUint16(at + 14, 100 + _below(10));
    view.setUint16(at + 16, 0x0800);
    _ipv4(at + 18, 6, size - 18);
    _transport(at + 38, 6, size - 38);
  } else if (r < 98) {
    size = 60;
    view.setUint16(at + 12, 0x0806);
    view.setUint32(at + 14, 0x00010800);
    view.setUint32(at + 18, 0x06040001);
  } else {
    size = 60 + _below(200);
    view.setUint16(at + 12, 0x88cc);
  }
  // pcap record header: ts_sec, ts_usec, caplen, len
  view.setUint32(used, 1_700_000_000 + Math.floor(n / 100000), true);
  view.setUint32(used + 4, (n * 10) % 1_000_000, true);
  view.setUint32(used + 8, size, true);
  view.setUint32(used + 12, size, true);
  used += 16 + size;
  await _drain(false);
}
await _drain(true);
file.close();
const { size } = await Deno.stat(out);
console.log(`${out}: ${frames} frames, ${size} bytes, ${Date.now() - start} ms`);
