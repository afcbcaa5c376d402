/**
 * Private (issue 11, session 16): what one frame costs through a set the
 * server compiled and made (closures, `_makeTestsAhead`), frame by frame, in
 * process: a frame is one piece of work for the event loop, so its cost is
 * a stall. Sets: `countonly` (N count-only `! --expr "tcp dst port N"`,
 * every TCP frame runs all of them) on the Ethernet frames of
 * bench/data/mixed_1m.pcap, or `link` (N link-base `--expr`, programs also
 * made for raw IP) on the same frames without their Ethernet header.
 *
 *   deno run -A --v8-flags=--max-semi-space-size=8 bench/_first_frames_probe.ts countonly|link [RULES] [FRAMES]
 *
 * Prints the frames over 15 ms (`index:ms`), the median and the sum.
 *
 * @module
 */
import { parseRuleSet } from "../src/rules/parse_rule_set.ts";
import { compileRuleSetAsync } from "../src/rules/compile_rule_set_async.ts";
import { _makeTestsAhead } from "../src/rules/_make_tests_ahead.ts";
import { createFrameRef } from "../src/rules/frame_ref.ts";

const kind = Deno.args[0] ?? "countonly";
const rules = Number(Deno.args[1] ?? 10_000);
const count = Number(Deno.args[2] ?? 2_000);
const link = kind === "link";
const lines = ["*filter", ":INPUT ACCEPT [0:0]"];
for (let i = 0; i < rules; i++) {
  lines.push(
    link
      ? `-A INPUT -m bpf --base link --expr "tcp dst port ${i + 1} or udp src port ${
        i + 1
      }" -j DROP`
      : `-A INPUT -m bpf ! --expr "tcp dst port ${i + 1}"`,
  );
}
const compiled = await compileRuleSetAsync(parseRuleSet(lines.concat("COMMIT", "").join("\n")), {
  strategy: "closure",
  sliceMilliseconds: 5,
});
await _makeTestsAhead(compiled, { sliceMilliseconds: 5 });
const raw = Object.freeze({ linkType: 101, snaplen: 262144, littleEndian: true });
if (link) await _makeTestsAhead(compiled, { sliceMilliseconds: 5, captureInterface: raw });

const file = Deno.readFileSync(new URL("./data/mixed_1m.pcap", import.meta.url)).subarray(
  0,
  8 << 20,
);
const view = new DataView(file.buffer, file.byteOffset);
const frames: Uint8Array[] = [];
for (let at = 24; frames.length < count && at + 16 <= file.length;) {
  const caplen = view.getUint32(at + 8, true);
  const frame = file.slice(at + 16, at + 16 + caplen);
  const type = (frame[12] << 8) | frame[13];
  if (!link) frames.push(frame);
  else if (type === 0x0800 || type === 0x86dd) frames.push(frame.slice(14));
  at += 16 + caplen;
}
const times: number[] = [];
for (const bytes of frames) {
  const frame = createFrameRef({
    bytes,
    capturedLength: bytes.length,
    wireLength: bytes.length,
    linkType: link ? 101 : 1,
    ...(link ? { captureInterface: raw } : {}),
  });
  const started = performance.now();
  compiled.classify(frame);
  times.push(performance.now() - started);
}
const slow = times.map((t, i) => [t, i] as const).filter(([t]) => t > 15);
console.log(`over 15 ms: ${slow.map(([t, i]) => `${i}:${t.toFixed(0)}`).join(" ")}`);
console.log(
  `median ${[...times].sort((a, b) => a - b)[times.length >> 1].toFixed(2)} ms, sum ${
    times.reduce((a, b) => a + b, 0).toFixed(0)
  } ms over ${times.length} frames`,
);
