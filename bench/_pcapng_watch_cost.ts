/**
 * Private bench (issue 11, session 11): what the server's pcapng interface
 * watch costs beside the router's decoder. The 1M-frame pcap is rewritten as
 * pcapng (EPBs) in memory, then cut into 64 KiB pieces; each piece goes to
 * the watch (nothing, the declaration-block scan with a decoder fed its
 * blocks, or a full second decode), then to the router's decoder. Pieces are
 * first copied into one buffer, as a network read writes them (hot in
 * cache); `COLD=1` reads them straight from the 343 MB capture.
 *
 *   deno run -A bench/_pcapng_watch_cost.ts [CAPTURE]
 *
 * @module
 */
import { CaptureDecoder } from "../src/capture/capture_decoder.ts";
import { _PcapngDeclarationBlocks } from "../src/capture/_pcapng_declaration_blocks.ts";
import { epb, idb, shb } from "../src/capture/_test_captures.ts";

const pcap = Deno.readFileSync(Deno.args[0] ?? "bench/data/mixed_1m.pcap");
const d = new CaptureDecoder();
const b = d.push(pcap);
const parts: Uint8Array[] = [shb(), idb({ linkType: d.interfaces[0].linkType })];
let size = parts[0].length + parts[1].length;
for (let i = 0; i < b.count; i++) {
  if (b.kind[i] !== 1) continue;
  const e = epb(pcap.subarray(b.dataStart[i], b.dataStart[i] + b.capturedLength[i]));
  parts.push(e);
  size += e.length;
}
const ng = new Uint8Array(size);
let at = 0;
for (const p of parts) (ng.set(p, at), at += p.length);
const PIECE = 64 * 1024;
// As in the server: the watch reads each piece just before the router's decoder does (piece hot in cache).
const run = (watch: "none" | "scan" | "full") => {
  const router = new CaptureDecoder();
  const blocks = new _PcapngDeclarationBlocks(1 << 24);
  const second = new CaptureDecoder();
  const buffer = new Uint8Array(PIECE);
  for (let o = 0; o < ng.length; o += PIECE) {
    // Each piece copied into one buffer first, as a network read writes it (hot in cache).
    const source = ng.subarray(o, o + PIECE);
    const cold = Deno.env.get("COLD") === "1";
    if (!cold) buffer.set(source);
    const piece = cold ? source : buffer.subarray(0, source.length);
    if (watch === "scan") { for (const blk of blocks.push(piece)) second.push(blk); }
    else if (watch === "full") second.push(piece);
    router.push(piece);
  }
  return router.packetCount;
};
const med = (xs: number[]) => xs.sort((a, b) => a - b)[xs.length >> 1];
const t: Record<string, number[]> = { none: [], scan: [], full: [] };
for (let r = 0; r < 9; r++) {
  for (const w of ["none", "scan", "full"] as const) {
    const s = performance.now();
    if (run(w) !== parts.length - 2) throw new Error("count");
    t[w].push(performance.now() - s);
  }
}
const [n, sc, f] = [med(t.none), med(t.scan), med(t.full)];
console.log(
  `1M-frame pcapng, 64 KiB pieces, medians of 9: router decode alone ${
    n.toFixed(1)
  } ms; + declaration scan ${sc.toFixed(1)} ms (+${(sc - n).toFixed(1)}); + full second decode ${
    f.toFixed(1)
  } ms (+${(f - n).toFixed(1)})`,
);
