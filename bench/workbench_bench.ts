/// <reference lib="dom" />
/**
 * The workbench's filtering throughput in headless Chromium against the
 * CLI's, side by side: the 1M-frame capture dropped into the page (filtered
 * in its Web Worker: accepted and dropped captures, counters, the packet
 * index) vs `bpfstream filter --rules R --drop-to /dev/null FILE >
 * /dev/null`, alternating, medians of `--runs` runs. The CLI's figure has
 * its start-up time (the same command on the 16-frame examples/mixed.pcap)
 * taken off, so the ratio compares filtering with filtering.
 *
 * Run: `deno run -A bench/make_capture.ts` once, then
 * `deno run -A bench/workbench_bench.ts [--runs 5] [--rules examples/edge.rules]
 * [--capture bench/data/mixed_1m.pcap]`.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { browserSkipReason, launchBrowser, serveWorkbench } from "../tests/_browser.ts";

const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "5" },
    rules: { type: "string", default: "examples/edge.rules" },
    capture: { type: "string", default: "bench/data/mixed_1m.pcap" },
  },
});
const runs = Number(values.runs);
const skip = browserSkipReason();
if (skip) throw new Error(skip);
const size = (await Deno.stat(values.capture)).size;
const rulesText = await Deno.readTextFile(values.rules);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

async function cliSeconds(capture: string): Promise<number> {
  const started = performance.now();
  const { success, stderr } = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "src/cli/main.ts",
      "filter",
      "--rules",
      values.rules,
      "--drop-to",
      "/dev/null",
      capture,
    ],
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!success) throw new Error(new TextDecoder().decode(stderr));
  return (performance.now() - started) / 1000;
}

const server = await serveWorkbench("bench");
const chromium = await launchBrowser();
const page = await chromium.browser.newPage();
page.setDefaultTimeout(600_000);
await page.setViewport({ width: 1280, height: 1400 });

async function pageSeconds(): Promise<{ seconds: number; indexSeconds: number; packets: string }> {
  await page.goto(server.url);
  await page.waitForSelector("body[data-ready]");
  await page.$eval("#rules", (node, text) => {
    (node as HTMLTextAreaElement).value = text as string;
    node.dispatchEvent(new Event("input"));
  }, rulesText);
  await page.waitForSelector("#rules-status.ok");
  const input = await page.$("#file-input");
  await (input as unknown as { uploadFile(path: string): Promise<void> }).uploadFile(
    values.capture,
  );
  await page.waitForSelector('body[data-state="done"]');
  const elapsed = await page.$eval(
    "body",
    (body) => Number((body as HTMLElement).dataset.elapsedMs),
  );
  await page.waitForSelector("body[data-index-ms]");
  const indexMs = await page.$eval("body", (body) => Number((body as HTMLElement).dataset.indexMs));
  const packets = await page.$eval(
    "#totals .total-input",
    (node) => (node as HTMLElement).dataset.packets ?? "",
  );
  return { seconds: elapsed / 1000, indexSeconds: indexMs / 1000, packets };
}

try {
  const startup: number[] = [];
  const cli: number[] = [];
  const browser: number[] = [];
  const indexing: number[] = [];
  let packets = "";
  for (let run = 0; run < runs; run++) {
    startup.push(await cliSeconds("examples/mixed.pcap"));
    cli.push(await cliSeconds(values.capture));
    const result = await pageSeconds();
    browser.push(result.seconds);
    indexing.push(result.indexSeconds);
    packets = result.packets;
    console.log(
      `run ${run + 1}: CLI ${cli.at(-1)!.toFixed(2)} s (start-up ${
        startup.at(-1)!.toFixed(2)
      } s), page ${result.seconds.toFixed(2)} s (+ list index ${result.indexSeconds.toFixed(2)} s)`,
    );
  }
  // The packet list scrolls to the last of the frames.
  await page.$eval("#packet-list", (list) => list.scrollTop = list.scrollHeight);
  await page.waitForFunction(
    (count: string) =>
      document.querySelector(
        `#packet-rows .row[data-index="${Number(count) - 1}"][data-verdict]`,
      ) !==
        null,
    {},
    packets,
  );
  const shot = `${await Deno.makeTempDir({
    prefix: "bpfstream-workbench-bench-",
  })}/scrolled-to-end.png`;
  await page.screenshot({ path: shot as `${string}.png` });
  const mb = size / 1e6;
  const cliFiltering = median(cli) - median(startup);
  const cliRate = mb / cliFiltering;
  const pageRate = mb / median(browser);
  console.log(
    `capture: ${values.capture}, ${packets} packets, ${mb.toFixed(0)} MB; rules ${values.rules}`,
  );
  console.log(
    `CLI wall time, median of ${runs}: ${median(cli).toFixed(2)} s (start-up ${
      median(startup).toFixed(2)
    } s)`,
  );
  console.log(
    `CLI filtering: ${cliRate.toFixed(0)} MB/s; wall time incl. start-up: ${
      (mb / median(cli)).toFixed(0)
    } MB/s`,
  );
  console.log(
    `page (Web Worker, Chromium): ${median(browser).toFixed(2)} s, ${pageRate.toFixed(0)} MB/s`,
  );
  console.log(`page's packet-list index afterwards: ${median(indexing).toFixed(2)} s`);
  console.log(`page / CLI filtering throughput: ${(100 * pageRate / cliRate).toFixed(0)}%`);
  console.log(`the list scrolled to packet ${packets}: ${shot}`);
} finally {
  await chromium.close();
  await server.close();
}
