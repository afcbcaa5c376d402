import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { indexCapture } from "./index_capture.ts";
import { readPackets } from "./read_packet.ts";
import { summarizeFrame } from "./summarize_frame.ts";

const root = new URL("../", import.meta.url);
const golden = new URL("tests/data/workbench/", root);
const corpus = new URL("../shared/conformance/pcap/", root);
const captures: [string, URL][] = [
  ["mixed.pcap", new URL("examples/mixed.pcap", root)],
  ...[
    "four_ipv6_http_streams.pcap",
    "VlanPackets.pcap",
    "sll.pcap",
    "pcapng-multi-interface.pcapng",
    "nanosecs_big_endian.pcap",
  ].map((name): [string, URL] => [name, new URL(name, corpus)]),
];

/** `IP 10.0.0.1.5353 > 10.0.0.2.53:` → addresses and ports (tcpdump -nn). */
function parseTcpdump(line: string) {
  const [time, rest] = [
    Number(line.slice(0, line.indexOf(" "))),
    line.slice(line.indexOf(" ") + 1),
  ];
  const ip = /^IP6? (\S+) > (\S+): /.exec(rest);
  if (!ip) return { time, rest };
  const split = (endpoint: string, v6: boolean) => {
    const parts = endpoint.split(".");
    const hasPort = v6 ? parts.length === 2 : parts.length === 5;
    return hasPort
      ? { address: parts.slice(0, -1).join("."), port: parts.at(-1) }
      : { address: endpoint, port: undefined };
  };
  const v6 = rest.startsWith("IP6");
  return { time, rest, source: split(ip[1], v6), destination: split(ip[2], v6) };
}

for (const [name, file] of captures) {
  Deno.test({
    name: `packet rows of ${name}: times and summaries agree with tcpdump -nn -tt`,
    ignore: !existsSync(file),
    async fn() {
      const capture = new Blob([readFileSync(file) as BlobPart]);
      // One line per packet; tcpdump's continuation lines (indented) are skipped.
      const lines = readFileSync(new URL(`${name}.tcpdump.txt`, golden), "utf8").trimEnd()
        .split("\n").filter((line) => /^\d/.test(line));
      const index = await indexCapture(capture);
      const frames = await readPackets(capture, index, 0, lines.length);
      assert.equal(frames.length, lines.length);
      const origin = frames[0].timestampNanoseconds;
      const first = parseTcpdump(lines[0]).time;
      let withPorts = 0;
      frames.forEach((frame, i) => {
        const expected = parseTcpdump(lines[i]);
        const time = Number(frame.timestampNanoseconds - origin) / 1e9;
        assert.ok(Math.abs(time - (expected.time - first)) < 2e-6, `${name} ${i + 1}: time`);
        const summary = summarizeFrame(frame.data, frame.wireLength, frame.linkType);
        if (expected.source && expected.destination) {
          const head = `${expected.source.address} → ${expected.destination.address} `;
          assert.ok(summary.startsWith(head), `${name} ${i + 1}: "${summary}" vs "${lines[i]}"`);
          if (expected.source.port && !summary.endsWith("fragment")) {
            assert.ok(
              summary.endsWith(` ${expected.source.port} → ${expected.destination.port}`),
              `${name} ${i + 1}: "${summary}" vs "${lines[i]}"`,
            );
            withPorts++;
          }
        } else if (expected.rest.startsWith("ARP")) {
          assert.match(summary, /ARP$/, `${name} ${i + 1}`);
        }
      });
      if (name !== "VlanPackets.pcap") assert.ok(withPorts > 0);
    },
  });
}
