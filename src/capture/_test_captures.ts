/**
 * Test helper (not exported): builds small pcap and pcapng captures byte by
 * byte, including broken ones.
 *
 * @module
 */

/** Concatenates byte arrays. */
export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** A 24-byte pcap file header. */
export function pcapHeader(
  options: {
    little?: boolean;
    magic?: number;
    snaplen?: number;
    linkType?: number;
    major?: number;
  } = {},
): Uint8Array {
  const little = options.little ?? true;
  const out = new Uint8Array(24);
  const view = new DataView(out.buffer);
  view.setUint32(0, options.magic ?? 0xa1b2c3d4, little);
  view.setUint16(4, options.major ?? 2, little);
  view.setUint16(6, 4, little);
  view.setUint32(16, options.snaplen ?? 65535, little);
  view.setUint32(20, options.linkType ?? 1, little);
  return out;
}

/** A pcap record (16-byte header + data); `caplen` may lie. */
export function pcapRecord(
  data: Uint8Array,
  options: { little?: boolean; sec?: number; frac?: number; wire?: number; caplen?: number } = {},
): Uint8Array {
  const little = options.little ?? true;
  const out = new Uint8Array(16 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, options.sec ?? 0, little);
  view.setUint32(4, options.frac ?? 0, little);
  view.setUint32(8, options.caplen ?? data.length, little);
  view.setUint32(12, options.wire ?? data.length, little);
  out.set(data, 16);
  return out;
}

/** A pcapng block: type, body (padded to 4), lengths (which may lie). */
export function block(
  type: number,
  body: Uint8Array,
  options: { little?: boolean; length?: number; trailing?: number } = {},
): Uint8Array {
  const little = options.little ?? true;
  const padded = (body.length + 3) & ~3;
  const out = new Uint8Array(12 + padded);
  const view = new DataView(out.buffer);
  view.setUint32(0, type, little);
  view.setUint32(4, options.length ?? out.length, little);
  out.set(body, 8);
  view.setUint32(out.length - 4, options.trailing ?? options.length ?? out.length, little);
  return out;
}

function _fields(
  little: boolean,
  spec: [size: 1 | 2 | 4 | 8, value: number | bigint][],
): Uint8Array {
  const out = new Uint8Array(spec.reduce((n, [s]) => n + s, 0));
  const view = new DataView(out.buffer);
  let at = 0;
  for (const [size, value] of spec) {
    if (size === 1) view.setUint8(at, Number(value));
    else if (size === 2) view.setUint16(at, Number(value), little);
    else if (size === 4) view.setUint32(at, Number(value), little);
    else view.setBigInt64(at, BigInt(value), little);
    at += size;
  }
  return out;
}

/** One pcapng option (code, length, value padded to 4). */
export function option(code: number, value: Uint8Array, little = true): Uint8Array {
  return concat(
    _fields(little, [[2, code], [2, value.length]]),
    value,
    new Uint8Array((4 - (value.length & 3)) & 3),
  );
}

/** A Section Header Block. */
export function shb(options: { little?: boolean; major?: number } = {}): Uint8Array {
  const little = options.little ?? true;
  return block(
    0x0a0d0d0a,
    _fields(little, [[4, 0x1a2b3c4d], [2, options.major ?? 1], [2, 0], [8, -1n]]),
    {
      little,
    },
  );
}

/** An Interface Description Block with optional raw options. */
export function idb(
  options: { little?: boolean; linkType?: number; snaplen?: number; options?: Uint8Array } = {},
): Uint8Array {
  const little = options.little ?? true;
  return block(
    1,
    concat(
      _fields(little, [[2, options.linkType ?? 1], [2, 0], [4, options.snaplen ?? 0]]),
      options.options ?? new Uint8Array(0),
    ),
    { little },
  );
}

/** An Enhanced Packet Block (`type: 2` makes an obsolete Packet Block). */
export function epb(
  data: Uint8Array,
  options: {
    little?: boolean;
    interfaceId?: number;
    timestamp?: bigint;
    wire?: number;
    caplen?: number;
    type?: 2 | 6;
    options?: Uint8Array;
  } = {},
): Uint8Array {
  const little = options.little ?? true;
  const ts = options.timestamp ?? 0n;
  const id: [1 | 2 | 4 | 8, number][] = options.type === 2
    ? [[2, options.interfaceId ?? 0], [2, 0]]
    : [[4, options.interfaceId ?? 0]];
  const head = _fields(little, [
    ...id,
    [4, Number(ts >> 32n)],
    [4, Number(ts & 0xffffffffn)],
    [4, options.caplen ?? data.length],
    [4, options.wire ?? data.length],
  ]);
  const padded = concat(data, new Uint8Array((4 - (data.length & 3)) & 3));
  return block(options.type ?? 6, concat(head, padded, options.options ?? new Uint8Array(0)), {
    little,
  });
}

/** A Simple Packet Block. */
export function spb(
  data: Uint8Array,
  options: { little?: boolean; wire?: number } = {},
): Uint8Array {
  const little = options.little ?? true;
  return block(3, concat(_fields(little, [[4, options.wire ?? data.length]]), data), { little });
}

/** `n` bytes 0, 1, 2, ... */
export function bytes(n: number, first = 0): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (first + i) & 0xff);
}
