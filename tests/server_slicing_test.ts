/**
 * `POST /rulesets/:name/filter` routes its input in pieces within the app's
 * event-loop slices (src/server/_loop_budget.ts): the output is what
 * tcpdump keeps whatever the pieces (tests/data/router/tcpdump_golden.json),
 * and a large upload lets timers and other requests run while it is routed.
 */
import assert from "node:assert/strict";
import { createApp } from "../src/server/app.ts";
import { MemoryRuleSetStore } from "../src/server/memory_rule_set_store.ts";
import { _dropProtocol, _mixedFrames, _pcap, _subset } from "../src/server/_test_helpers.ts";
import { _decodeRecords, _packetDigest } from "../src/stream/_router_test_helpers.ts";

const corpus = new URL("../../shared/conformance/", import.meta.url);
let cases: { file: string; base: string; bytecode: string; expr: string }[] | undefined;
try {
  cases = JSON.parse(await Deno.readTextFile(new URL("filters.json", corpus))).cases;
} catch {
  cases = undefined;
}
const golden = new Map<number, { packets?: number; sha256?: string }>(
  (JSON.parse(
    await Deno.readTextFile(new URL("./data/router/tcpdump_golden.json", import.meta.url)),
  ).cases as { case: number; packets?: number; sha256?: string }[]).map((g) => [g.case, g]),
);

/** A body stream of `chunks`, every chunk available at once. */
function _body(chunks: Uint8Array[]): ReadableStream<Uint8Array> {
  return ReadableStream.from(chunks);
}

Deno.test({
  name: "POST /filter output equals tcpdump's for captures routed in pieces across chunks",
  ignore: cases === undefined,
  async fn() {
    const app = createApp({ store: new MemoryRuleSetStore(), limits: { maxInstructions: 4096 } });
    let compared = 0;
    for (const [index, c] of cases!.entries()) {
      const expected = golden.get(index);
      if (c.base !== "link" || expected?.sha256 === undefined) continue;
      const capture = await Deno.readFile(new URL(c.file, corpus));
      // Larger than one 64 KiB piece: the pieces end inside records.
      if (capture.length <= 64 * 1024) continue;
      const put = await app.request(`/rulesets/case${index}`, {
        method: "PUT",
        body: `*filter\n:INPUT DROP [0:0]\n-A INPUT -m bpf --base link --bytecode "${
          c.bytecode.replace(/,$/, "")
        }" -j ACCEPT\nCOMMIT\n`,
      });
      assert.equal(put.status, 201, await put.text());
      // One chunk of the whole capture, and 100,003-byte chunks.
      const splits = [
        [capture],
        Array.from(
          { length: Math.ceil(capture.length / 100_003) },
          (_, i) => capture.subarray(i * 100_003, (i + 1) * 100_003),
        ),
      ];
      for (const chunks of splits) {
        const response = await app.request(`/rulesets/case${index}/filter`, {
          method: "POST",
          body: _body(chunks),
          // @ts-ignore: `duplex` is required for a stream body, not yet in lib.dom
          duplex: "half",
        });
        assert.equal(response.status, 200);
        const records = _decodeRecords(await response.bytes());
        const packets = records.filter((r) => r.kind === 1).length;
        const what = `case ${index} (${c.file} "${c.expr}"), ${chunks.length} chunks`;
        assert.equal(packets, expected.packets, what);
        assert.equal(await _packetDigest(records), expected.sha256, what);
        compared++;
      }
    }
    assert.ok(compared >= 20, `only ${compared} comparisons`);
  },
});

Deno.test("a large POST /filter upload lets timers and /healthz run while it is routed", async () => {
  const app = createApp({ store: new MemoryRuleSetStore() });
  const text = _dropProtocol("udp");
  assert.equal((await app.request("/rulesets/edge", { method: "PUT", body: text })).status, 201);
  const frames = _mixedFrames(4000);
  const capture = _pcap(frames); // about 1 MiB
  const copies = 16;
  // 16 copies of the records after the first capture's header: one capture of 64,000 frames.
  const records = capture.subarray(24);
  const chunks = [capture, ...Array.from({ length: copies - 1 }, () => records)];

  const events: string[] = [];
  let responseBytes = 0;
  let filtering = true;
  let timers = 0;
  let healthz: Promise<void> | undefined;
  const tick = () => {
    if (!filtering) return;
    timers++;
    events.push(`timer at ${responseBytes}`);
    healthz ??= (async () => {
      const answer = await app.request("/healthz");
      assert.deepEqual(await answer.json(), { status: "ok", streams: 1 });
      events.push(`healthz answered at ${responseBytes}`);
    })();
    setTimeout(tick, 0);
  };
  setTimeout(tick, 0);
  const response = await app.request("/rulesets/edge/filter", {
    method: "POST",
    body: _body(chunks),
    // @ts-ignore: `duplex` is required for a stream body, not yet in lib.dom
    duplex: "half",
  });
  const output: Uint8Array<ArrayBuffer>[] = [];
  for await (const chunk of response.body!) {
    output.push(chunk as Uint8Array<ArrayBuffer>);
    responseBytes += chunk.length;
  }
  filtering = false;
  events.push(`filter done at ${responseBytes}`);
  await healthz;

  // The output is the input without UDP, all 16 times.
  const one = _subset(frames, (frame) => frame[23] !== 17);
  const expected = new Uint8Array(24 + (one.length - 24) * copies);
  expected.set(one);
  for (let i = 1; i < copies; i++) expected.set(one.subarray(24), 24 + (one.length - 24) * i);
  assert.deepEqual(new Uint8Array(await new Blob(output).arrayBuffer()), expected);
  // The event loop was not held: a /healthz sent from a timer was answered
  // while the upload was still being routed, and timers kept firing.
  const answered = events.findIndex((e) => e.startsWith("healthz answered"));
  const done = events.findIndex((e) => e.startsWith("filter done"));
  assert.ok(answered >= 0 && answered < done, events.slice(0, 8).join(", "));
  assert.ok(timers >= 2, `${timers} timers fired during the upload`);
});
