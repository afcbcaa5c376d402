/**
 * Manual check (not a CI test; needs tshark): every corpus capture is decoded
 * with CaptureDecoderStream, re-encoded with CaptureEncoderStream (same format,
 * and converted pcap -> pcapng / pcapng -> pcap where possible), and tshark must
 * read the output and show exactly the input's packets: the same count,
 * frame.len, frame.cap_len and frame.md5_hash as tshark_frames.json.
 *
 *   deno run -A tests/data/capture/check_encoder_with_tshark.ts
 */
import { CaptureDecoderStream } from "../../../src/capture/capture_decoder_stream.ts";
import { CaptureEncoderStream } from "../../../src/capture/capture_encoder_stream.ts";
import type { CapturedFrame } from "../../../src/capture/captured_frame.ts";

const corpus = new URL("../../../../shared/conformance/pcap/", import.meta.url);
const expected = JSON.parse(
  await Deno.readTextFile(new URL("./tshark_frames.json", import.meta.url)),
).files as Record<string, [number, number, string, number | null][]>;
const dir = await Deno.makeTempDir();
let failures = 0;
let checked = 0;
for (const [name, rows] of Object.entries(expected)) {
  const input = await Deno.readFile(new URL(name, corpus));
  const frames: CapturedFrame[] = [];
  for await (const f of ReadableStream.from([input]).pipeThrough(new CaptureDecoderStream())) frames.push(f);
  const formats: ("pcap" | "pcapng")[] = ["pcapng"];
  if (new Set(frames.map((f) => f.linkType)).size === 1) formats.push("pcap");
  for (const format of formats) {
    const out = ReadableStream.from(frames).pipeThrough(new CaptureEncoderStream({ format }));
    const path = `${dir}/${name}.${format}`;
    await Deno.writeFile(path, new Uint8Array(await new Response(out).arrayBuffer()));
    const result = await new Deno.Command("tshark", {
      args: ["-n", "-r", path, "-o", "frame.generate_md5_hash:TRUE", "-T", "fields", "-e", "frame.len", "-e", "frame.cap_len", "-e", "frame.md5_hash"],
      stderr: "piped",
    }).output();
    const got = new TextDecoder().decode(result.stdout).trim().split("\n").filter((l) => l).map((l) => l.split("\t"));
    // libpcap clamps a pcap caplen above the snaplen, tshark does not: compare the clamped frames
    const want = rows.filter((r) => r[3] !== null);
    let ok = result.success && got.length === want.length;
    for (let i = 0; ok && i < want.length; i++) {
      const clamped = frames[i].data.length !== want[i][1];
      if (Number(got[i][0]) !== want[i][0]) ok = false;
      if (!clamped && (Number(got[i][1]) !== want[i][1] || got[i][2] !== want[i][2])) ok = false;
    }
    checked++;
    if (!ok) {
      failures++;
      console.log(`FAIL ${name} as ${format}: ${got.length} vs ${want.length} packets; ${new TextDecoder().decode(result.stderr).trim()}`);
    }
  }
}
await Deno.remove(dir, { recursive: true });
console.log(`${checked} encoded captures read by tshark, ${failures} differ`);
if (failures) Deno.exit(1);
