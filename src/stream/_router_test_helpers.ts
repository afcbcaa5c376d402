/**
 * Test helpers for the router (not part of the public API).
 *
 * @module
 */
import { CaptureDecoder } from "../capture/capture_decoder.ts";
import { concat, pcapHeader, pcapRecord } from "../capture/_test_captures.ts";
import { type CompiledRuleSet, compileRuleSet } from "../rules/compile_rule_set.ts";
import { parseRuleSet } from "../rules/parse_rule_set.ts";
import { RouterStream, type RouterStreamOptions } from "./router_stream.ts";
import type { RouterStats } from "./router_stats.ts";

/** One decoded record, copied out of the decoder's batch. */
export interface _Record {
  /** 1 packet, 0 metadata. */
  kind: number;
  /** The whole record, verbatim. */
  record: Uint8Array;
  /** Packet bytes as libpcap reports them (clamped caplen). */
  data: Uint8Array;
  capturedLength: number;
  wireLength: number;
  interfaceIndex: number;
  linkType: number;
}

/** Decodes a whole capture into records; throws the decoder's error. */
export function _decodeRecords(bytes: Uint8Array): _Record[] {
  const decoder = new CaptureDecoder();
  const records: _Record[] = [];
  const take = (batch: ReturnType<CaptureDecoder["push"]>) => {
    for (let i = 0; i < batch.count; i++) {
      const source = i < batch.carried ? batch.carry : batch.bytes;
      const data = source.slice(batch.dataStart[i], batch.dataStart[i] + batch.capturedLength[i]);
      records.push({
        kind: batch.kind[i],
        record: source.slice(batch.start[i], batch.end[i]),
        data: batch.kind[i] === 1 ? data : new Uint8Array(0),
        capturedLength: batch.capturedLength[i],
        wireLength: batch.wireLength[i],
        interfaceIndex: batch.interfaceIndex[i],
        linkType: batch.kind[i] === 1 ? decoder.interfaces[batch.interfaceIndex[i]].linkType : -1,
      });
    }
    if (batch.error) throw batch.error;
  };
  take(decoder.push(bytes));
  take(decoder.finish());
  return records;
}

/** A one-rule set: `-m bpf --base BASE --bytecode PROGRAM -j ACCEPT`, policy DROP. */
export function _oneRule(bytecode: string, base: "link" | "network"): CompiledRuleSet {
  return _rules(`*filter
:INPUT DROP [0:0]
-A INPUT -m bpf --base ${base} --bytecode "${bytecode}" -j ACCEPT
COMMIT
`);
}

/** A rule set from iptables-save text (programs up to 4096 instructions). */
export function _rules(text: string): CompiledRuleSet {
  return compileRuleSet(parseRuleSet(text, { maxInstructions: 4096 }), {
    maxInstructions: 4096,
  });
}

/** Splits `bytes` into chunks ending at the given cut points. */
export function _split(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  let at = 0;
  for (const cut of [...cuts].sort((a, b) => a - b)) {
    if (cut <= at || cut >= bytes.length) continue;
    chunks.push(bytes.subarray(at, cut));
    at = cut;
  }
  chunks.push(bytes.subarray(at));
  return chunks;
}

/** A deterministic generator of uint32 values (xorshift32). */
export function _random(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state;
  };
}

/** What {@linkcode _route} returns. */
export interface _Routed {
  accepted: Uint8Array;
  dropped: Uint8Array;
  stats: RouterStats;
  /** Number of chunks each side enqueued. */
  acceptedChunks: number;
  droppedChunks: number;
  /** The error the writable side / readable side reported, if any. */
  error?: unknown;
}

interface _Collected {
  bytes: Uint8Array;
  chunks: number;
  error?: unknown;
}

/** Reads a stream to its end or error, keeping what arrived before an error. */
export async function _collect(stream: ReadableStream<Uint8Array>): Promise<_Collected> {
  const parts: Uint8Array[] = [];
  let size = 0;
  let error: unknown = undefined;
  try {
    for await (const chunk of stream) {
      parts.push(chunk.slice());
      size += chunk.length;
    }
  } catch (e) {
    error = e;
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const part of parts) {
    bytes.set(part, at);
    at += part.length;
  }
  return error === undefined
    ? { bytes, chunks: parts.length }
    : { bytes, chunks: parts.length, error };
}

/** Routes the chunks through a new router with both outputs read concurrently. */
export async function _route(
  rules: CompiledRuleSet,
  chunks: Uint8Array[],
  options: RouterStreamOptions = {},
): Promise<_Routed> {
  const router = new RouterStream(rules, { dropped: true, ...options });
  const piped = ReadableStream.from(chunks).pipeTo(router.writable).then(() => undefined, (e) => e);
  const droppedDone: Promise<_Collected> = options.dropped === false
    ? Promise.resolve({ bytes: new Uint8Array(0), chunks: 0 })
    : _collect(router.dropped);
  const [pipeError, accepted, dropped] = await Promise.all([
    piped,
    _collect(router.readable),
    droppedDone,
  ]);
  const routed: _Routed = {
    accepted: accepted.bytes,
    dropped: dropped.bytes,
    acceptedChunks: accepted.chunks,
    droppedChunks: dropped.chunks,
    stats: await router.stats,
  };
  const error = pipeError ?? accepted.error ?? dropped.error;
  if (error !== undefined) routed.error = error;
  return routed;
}

/** SHA-256 (hex) of the packets' (caplen, len, data) as tcpdump would write them. */
export async function _packetDigest(records: _Record[]): Promise<string> {
  let size = 0;
  for (const r of records) if (r.kind === 1) size += 8 + r.data.length;
  const all = new Uint8Array(size);
  const view = new DataView(all.buffer);
  let at = 0;
  for (const r of records) {
    if (r.kind !== 1) continue;
    view.setUint32(at, r.capturedLength, true);
    view.setUint32(at + 4, r.wireLength, true);
    all.set(r.data, at + 8);
    at += 8 + r.data.length;
  }
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", all));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * For each input record, where it went: 1 accepted, 0 dropped, 2 both
 * (metadata). Throws when the outputs are not an order-preserving partition of
 * the input (a record lost, duplicated, reordered or altered).
 */
export function _verdicts(input: _Record[], accepted: _Record[], dropped: _Record[]): number[] {
  const same = (a: Uint8Array, b: Uint8Array) =>
    a.length === b.length && a.every((v, k) => v === b[k]);
  const verdicts: number[] = [];
  let a = 0;
  let d = 0;
  for (let i = 0; i < input.length; i++) {
    const r = input[i].record;
    if (input[i].kind === 0) {
      if (!(a < accepted.length && same(accepted[a].record, r))) {
        throw new Error(`metadata record ${i} missing from the accepted output`);
      }
      if (!(d < dropped.length && same(dropped[d].record, r))) {
        throw new Error(`metadata record ${i} missing from the dropped output`);
      }
      a++;
      d++;
      verdicts.push(2);
    } else if (a < accepted.length && same(accepted[a].record, r)) {
      a++;
      verdicts.push(1);
    } else if (d < dropped.length && same(dropped[d].record, r)) {
      d++;
      verdicts.push(0);
    } else {
      throw new Error(`record ${i} is in neither output at its place`);
    }
  }
  if (a !== accepted.length || d !== dropped.length) {
    throw new Error(`outputs have extra records (${accepted.length - a}, ${dropped.length - d})`);
  }
  return verdicts;
}

/**
 * A classic pcap (little-endian, microseconds, EN10MB, snaplen 65535) of
 * `count` frames of `size` bytes; frame `i` has `verdict(i)` (0 or 1) at
 * byte 20 and its index at bytes 21–24, so {@linkcode _MARK_RULES} accepts
 * exactly the frames with 1.
 */
export function _pcapOf(count: number, size: number, verdict: (i: number) => number): Uint8Array {
  const records: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const data = new Uint8Array(size);
    data[20] = verdict(i);
    new DataView(data.buffer).setUint32(21, i);
    records.push(pcapRecord(data, { sec: 1_700_000_000 + i, wire: size + 4 }));
  }
  return concat(pcapHeader(), ...records);
}

/** Link-base rules accepting the frames whose byte 20 is 1 (see {@linkcode _pcapOf}). */
export const _MARK_RULES = `*filter
:INPUT DROP [0:0]
-A INPUT -m bpf --base link --bytecode "4,48 0 0 20,21 0 1 1,6 0 0 1,6 0 0 0" -j ACCEPT
COMMIT
`;

/** Rules accepting every frame (policy ACCEPT, no rules). */
export const _ACCEPT_ALL = `*filter
:INPUT ACCEPT [0:0]
COMMIT
`;

/** Rules dropping every frame (policy DROP, no rules). */
export const _DROP_ALL = `*filter
:INPUT DROP [0:0]
COMMIT
`;
