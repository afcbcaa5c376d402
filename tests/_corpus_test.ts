import assert from "node:assert/strict";
import { corpusSkipReason, loadCases, loadFileTable, loadPackets, networkView } from "./_corpus.ts";

const skip = corpusSkipReason();
if (skip) console.warn(skip);

Deno.test({
  name: "corpus reader finds every capture's packet count and link types",
  ignore: skip !== undefined,
  fn() {
    for (const [file, info] of Object.entries(loadFileTable())) {
      const packets = loadPackets(file);
      assert.equal(packets.length, info.packets, file);
      const types = [...new Set(packets.map((p) => p.linkType))].sort((a, b) => a - b);
      assert.deepEqual(types, [...info.linktypes].sort((a, b) => a - b), file);
    }
  },
});

Deno.test({
  name: "network view exists exactly where network-base cases expect a result",
  ignore: skip !== undefined,
  fn() {
    for (const c of loadCases().filter((c) => c.base === "network")) {
      loadPackets(c.file).forEach((packet, i) => {
        const view = networkView(packet);
        assert.equal(view === null, c.results[i] === null, `${c.file} #${i}`);
      });
    }
  },
});
