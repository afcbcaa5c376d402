/// <reference lib="dom" />
/**
 * The workbench in a real browser (headless Chromium via puppeteer-core),
 * checked against the CLI: inline errors, counters, downloads, traces and
 * the server panel. Screenshots of each step go to a temporary folder whose
 * path is printed.
 */
import assert from "node:assert/strict";
import type { Page } from "puppeteer-core";
import { formatBytecode, parseRuleSet, RuleSetError } from "../mod.ts";
import { cliFilter, cliTrace, traceLine } from "../web/_cli_oracle.ts";
import { browserSkipReason, launchBrowser, serveWorkbench } from "./_browser.ts";

const root = new URL("../", import.meta.url);
const RULES = await Deno.readTextFile(new URL("examples/edge.rules", root));
const CAPTURE = await Deno.readFile(new URL("examples/mixed.pcap", root));
const TOKEN = "workbench-test-token";
const skip = browserSkipReason();
if (skip) console.log(skip);

/** The rule set with a checker error on one line (a jump past the end). */
function withError(text: string): string {
  return text.replace('"4,40 0 0 12,21 0 1 2054,', '"4,40 0 0 12,21 0 9 2054,');
}

function encodeBase64(bytes: Uint8Array): string {
  let text = "";
  for (const byte of bytes) text += String.fromCharCode(byte);
  return btoa(text);
}

async function waitForFile(path: string, size: number): Promise<Uint8Array> {
  for (let i = 0; i < 200; i++) {
    try {
      const bytes = await Deno.readFile(path);
      if (bytes.length === size) return bytes;
    } catch {
      // not there yet
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`Cannot find the download ${path} (${size} bytes)`);
}

async function setEditorText(page: Page, text: string): Promise<void> {
  await page.click("#rules");
  await page.keyboard.down("Control");
  await page.keyboard.press("KeyA");
  await page.keyboard.up("Control");
  await page.keyboard.press("Backspace");
  await page.keyboard.sendCharacter(text);
}

Deno.test({
  name:
    "workbench in Chromium: errors inline, counters, downloads and traces equal the CLI's; server panel",
  ignore: skip !== undefined,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const shots = await Deno.makeTempDir({ prefix: "bpfstream-workbench-shots-" });
    const downloads = await Deno.makeTempDir({ prefix: "bpfstream-workbench-downloads-" });
    const server = await serveWorkbench(TOKEN);
    const chromium = await launchBrowser();
    const problems: string[] = [];
    let shot = 0;
    const screenshot = async (page: Page, name: string) => {
      const path = `${shots}/${String(++shot).padStart(2, "0")}-${name}.png`;
      await page.screenshot({ path: path as `${string}.png`, fullPage: true });
      console.log(`screenshot: ${path}`);
    };
    try {
      const page = await chromium.browser.newPage();
      page.setDefaultTimeout(15000);
      await page.setViewport({ width: 1280, height: 1400 });
      page.on("console", (message) => {
        if (message.type() === "error" || message.type() === "warn") problems.push(message.text());
      });
      page.on("pageerror", (error) => problems.push(String(error)));
      const cdp = await page.createCDPSession();
      await cdp.send("Browser.setDownloadBehavior", { behavior: "allow", downloadPath: downloads });

      // Load the page.
      const response = await page.goto(server.url);
      assert.match(response?.headers()["content-security-policy"] ?? "", /script-src 'self'/);
      await page.waitForSelector("body[data-ready]");
      await screenshot(page, "loaded");

      // A rule set with an error: shown at the line and column the library gives.
      const broken = withError(RULES);
      assert.notEqual(broken, RULES);
      let expected: RuleSetError | undefined;
      try {
        parseRuleSet(broken);
      } catch (error) {
        if (error instanceof RuleSetError) expected = error;
      }
      assert.ok(expected && expected.line > 0);
      await setEditorText(page, broken);
      await page.waitForSelector(`#rules-status[data-line="${expected.line}"]`);
      const shown = await page.$eval("#rules-status", (node) => ({
        line: Number((node as HTMLElement).dataset.line),
        column: Number((node as HTMLElement).dataset.column),
        text: node.textContent ?? "",
      }));
      assert.equal(shown.column, expected.column);
      assert.ok(shown.text.includes(expected.message), shown.text);
      const marked = await page.$$eval(
        "#gutter div.error",
        (nodes) => nodes.map((n) => n.textContent),
      );
      assert.deepEqual(marked, [String(expected.line)]);
      await screenshot(page, "error-inline");

      // Fix it.
      await setEditorText(page, RULES);
      await page.waitForSelector("#rules-status.ok");
      assert.deepEqual(await page.$$eval("#gutter div.error", (nodes) => nodes.length), 0);
      await screenshot(page, "fixed");

      // Drop the capture: totals and per-rule counters equal bpfstream filter --json.
      const cli = await cliFilter(RULES, CAPTURE);
      await page.$eval("#drop-zone", (zone, data) => {
        const bytes = Uint8Array.from(atob(data as string), (c) => c.charCodeAt(0));
        const transfer = new DataTransfer();
        transfer.items.add(new File([bytes], "mixed.pcap"));
        zone.dispatchEvent(
          new DragEvent("drop", { dataTransfer: transfer, bubbles: true, cancelable: true }),
        );
      }, encodeBase64(CAPTURE));
      await page.waitForSelector('body[data-state="done"]');
      const totals = await page.$$eval("#totals .total", (nodes) =>
        nodes.map((n) => ({
          packets: Number((n as HTMLElement).dataset.packets),
          bytes: Number((n as HTMLElement).dataset.bytes),
        })));
      assert.deepEqual(totals, [cli.stats.frames, cli.stats.accepted, cli.stats.dropped]);
      const bars = await page.$$eval("#chart .bar-row", (nodes) =>
        nodes.map((n) => ({
          packets: Number((n as HTMLElement).dataset.packets),
          bytes: Number((n as HTMLElement).dataset.bytes),
        })));
      const expectedBars = cli.stats.chains.flatMap((chain) => [
        ...chain.rules.map(({ packets, bytes }) => ({ packets, bytes })),
        ...(chain.counters ? [chain.counters] : []),
      ]);
      assert.deepEqual(bars, expectedBars);
      await page.waitForSelector("#packet-rows .row[data-verdict]");
      await screenshot(page, "filtered");

      // Download both captures: byte for byte the CLI's stdout and --drop-to file.
      await page.waitForSelector("#download-accepted:not([hidden])");
      await page.click("#download-accepted");
      const accepted = await waitForFile(`${downloads}/mixed-accepted.pcap`, cli.accepted.length);
      assert.deepEqual(accepted, cli.accepted);
      await page.click("#download-dropped");
      const dropped = await waitForFile(`${downloads}/mixed-dropped.pcap`, cli.dropped.length);
      assert.deepEqual(dropped, cli.dropped);

      // Click a packet decided by a --bytecode rule: the trace shows bpfstream trace's steps.
      const flatRules = parseRuleSet(RULES).chains.flatMap((chain) => chain.rules);
      const rows = await page.$$eval("#packet-rows .row", (nodes) =>
        nodes.map((n) => ({
          index: Number((n as HTMLElement).dataset.index),
          rule: Number((n as HTMLElement).dataset.rule),
        })));
      const row = rows.find(({ rule }) =>
        flatRules[rule]?.matches.some((m) => m.kind === "bpf" && m.program !== undefined)
      );
      assert.ok(row, "no packet in view was decided by a --bytecode rule");
      await page.click(`#packet-rows .row[data-index="${row.index}"]`);
      await page.waitForSelector(`#trace .decision[data-packet="${row.index}"]`);
      const steps = await page.$$eval(
        "#trace table.trace-steps tr.step",
        (nodes) =>
          nodes.map((tr) =>
            ["instruction", "a", "x", "scratch"].map((name) =>
              tr.querySelector(`.${name}`)?.textContent ?? ""
            )
          ),
      );
      const result = await page.$eval("#trace .result", (node) => node.textContent);
      const rule = flatRules[row.rule];
      const match = rule.matches.find((m) => m.kind === "bpf" && m.program);
      assert.ok(match?.kind === "bpf" && match.program);
      const lines = await cliTrace(
        formatBytecode(match.program),
        rule.base,
        row.index + 1,
        CAPTURE,
      );
      assert.deepEqual(
        steps.map(([instruction, a, x, scratch]) => traceLine(instruction, a, x, scratch)),
        lines.filter((line) => line.startsWith("(")),
      );
      assert.equal(result, lines.at(-1));
      await screenshot(page, "trace");

      // The server panel lists a rule set uploaded with an HTTP client, and its counters refresh.
      const put = await fetch(`${server.url}rulesets/edge`, {
        method: "PUT",
        headers: { Authorization: `Bearer ${TOKEN}` },
        body: RULES,
      });
      assert.equal(put.status, 201);
      await put.body?.cancel();
      await page.click("#refresh-rulesets");
      await page.waitForSelector('#ruleset-table tr[data-name="edge"][data-version="1"]');
      await page.click('#ruleset-table tr[data-name="edge"] td.name');
      await page.waitForSelector('#server-counters table[data-name="edge"]');
      const filtered = await fetch(`${server.url}rulesets/edge/filter`, {
        method: "POST",
        body: CAPTURE,
      });
      assert.equal(filtered.status, 200);
      assert.deepEqual(new Uint8Array(await filtered.arrayBuffer()), cli.accepted);
      const firstRule = cli.stats.chains[0].rules[0].packets;
      await page.waitForFunction(
        (packets: number) =>
          document.querySelector("#server-counters table tr:nth-child(2) td:nth-child(3)")
            ?.textContent === String(packets),
        {},
        firstRule,
      );
      await screenshot(page, "server-panel");

      // Save from the editor with If-Match: a concurrent change makes it fail with 412, a reload fixes it.
      await page.type("#token", TOKEN);
      await page.click('#ruleset-table tr[data-name="edge"] button');
      await page.waitForFunction(() =>
        /Loaded edge version 1/.test(document.querySelector("#server-status")?.textContent ?? "")
      );
      const bump = await fetch(`${server.url}rulesets/edge`, {
        method: "PUT",
        headers: { Authorization: `Bearer ${TOKEN}` },
        body: RULES,
      });
      assert.equal(bump.status, 200);
      await bump.body?.cancel();
      await page.click("#save-ruleset");
      await page.waitForFunction(() =>
        /Not saved/.test(document.querySelector("#server-status")?.textContent ?? "")
      );
      await page.click('#ruleset-table tr[data-name="edge"] button');
      await page.waitForFunction(() =>
        /Loaded edge version 2/.test(document.querySelector("#server-status")?.textContent ?? "")
      );
      await page.click("#save-ruleset");
      await page.waitForFunction(() =>
        /Saved edge as version 3/.test(document.querySelector("#server-status")?.textContent ?? "")
      );
      const stored = await fetch(`${server.url}rulesets/edge`);
      assert.equal(stored.headers.get("etag"), '"3"');
      await stored.body?.cancel();
      assert.ok(!page.url().includes(TOKEN));
      const storage = await page.evaluate(() => localStorage.length + sessionStorage.length);
      assert.equal(storage, 0);
      await screenshot(page, "saved");

      // The only error the browser logs is the expected 412 of the conflicting save.
      assert.deepEqual(
        problems,
        ["Failed to load resource: the server responded with a status of 412 (Precondition Failed)"],
        "the page logged errors (CSP violations included)",
      );
      console.log(`screenshots in ${shots}`);
    } finally {
      await chromium.close();
      await server.close();
      await Deno.remove(downloads, { recursive: true }).catch(() => {});
    }
  },
});

Deno.test({
  name: "workbench static build (web/dist) from a plain file server filters a capture like the CLI",
  ignore: skip !== undefined,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    // A file server that knows nothing of bpfstream: no API, no CSP header (the page's <meta> CSP applies).
    const dist = new URL("web/dist/", root);
    const controller = new AbortController();
    const files = Deno.serve(
      { hostname: "127.0.0.1", port: 0, signal: controller.signal, onListen() {} },
      async (request) => {
        const path = new URL(request.url).pathname.replace(/^\/$/, "/index.html").slice(1);
        if (!/^(index\.html|assets\/[a-z]+\.(js|css))$/.test(path)) {
          return new Response("not found", { status: 404 });
        }
        const type = path.endsWith(".html")
          ? "text/html"
          : path.endsWith(".css")
          ? "text/css"
          : "text/javascript";
        return new Response(await Deno.readFile(new URL(path, dist)), {
          headers: { "Content-Type": type },
        });
      },
    );
    const chromium = await launchBrowser();
    try {
      const page = await chromium.browser.newPage();
      page.setDefaultTimeout(15000);
      const problems: string[] = [];
      page.on("pageerror", (error) => problems.push(String(error)));
      await page.goto(`http://127.0.0.1:${files.addr.port}/`);
      await page.waitForSelector("body[data-ready]");
      await setEditorText(page, RULES);
      await page.waitForSelector("#rules-status.ok");
      const path = await Deno.makeTempFile({ suffix: ".pcap" });
      await Deno.writeFile(path, CAPTURE);
      const input = await page.$("#file-input");
      await (input as unknown as { uploadFile(path: string): Promise<void> }).uploadFile(path);
      await page.waitForSelector('body[data-state="done"]');
      await Deno.remove(path);
      const totals = await page.$$eval("#totals .total", (nodes) =>
        nodes.map((n) => ({
          packets: Number((n as HTMLElement).dataset.packets),
          bytes: Number((n as HTMLElement).dataset.bytes),
        })));
      const cli = await cliFilter(RULES, CAPTURE);
      assert.deepEqual(totals, [cli.stats.frames, cli.stats.accepted, cli.stats.dropped]);
      assert.deepEqual(problems, []);
    } finally {
      await chromium.close();
      controller.abort();
      await files.finished;
    }
  },
});

Deno.test({
  name: "workbench packet list scrolls end to end through 200,000 frames",
  ignore: skip !== undefined,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const frames = 200_000; // more rows than the list's capped scroll height holds at 22 px
    const path = await Deno.makeTempFile({ suffix: ".pcap" });
    const made = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        new URL("bench/make_capture.ts", root).pathname,
        "--frames",
        String(frames),
        "--out",
        path,
      ],
      stdout: "null",
      stderr: "piped",
    }).output();
    assert.ok(made.success, new TextDecoder().decode(made.stderr));
    const server = await serveWorkbench(TOKEN);
    const chromium = await launchBrowser();
    try {
      const page = await chromium.browser.newPage();
      page.setDefaultTimeout(30000);
      await page.goto(server.url);
      await page.waitForSelector("body[data-ready]");
      await setEditorText(page, RULES);
      await page.waitForSelector("#rules-status.ok");
      const input = await page.$("#file-input");
      await (input as unknown as { uploadFile(path: string): Promise<void> }).uploadFile(path);
      await page.waitForSelector('body[data-state="done"]');
      const total = await page.$eval(
        "#totals .total-input",
        (n) => Number((n as HTMLElement).dataset.packets),
      );
      assert.equal(total, frames);
      // Scrolls, then waits until the list shows other rows than before, all filled in.
      const shown = async (fraction: number, before: number) => {
        await page.$eval("#packet-list", (list, f) => {
          list.scrollTop = (list.scrollHeight - list.clientHeight) * (f as number);
        }, fraction);
        await page.waitForFunction(
          (previous) => {
            const rows = [...document.querySelectorAll("#packet-rows .row")];
            return rows.length > 0 && Number((rows[0] as HTMLElement).dataset.index) !== previous &&
              rows.every((row) => (row as HTMLElement).dataset.verdict);
          },
          {},
          before,
        );
        return await page.$$eval(
          "#packet-rows .row",
          (rows) => rows.map((row) => Number((row as HTMLElement).dataset.index)),
        );
      };
      const last = await shown(1, 0);
      assert.equal(last.at(-1), frames - 1);
      const middle = await shown(0.5, last[0]);
      assert.ok(Math.abs(middle[0] - frames / 2) < middle.length, `middle starts at ${middle[0]}`);
      const first = await shown(0, middle[0]);
      assert.equal(first[0], 0);
      for (const rows of [first, middle, last]) {
        assert.deepEqual(rows, rows.map((_, i) => rows[0] + i)); // consecutive packets
      }
    } finally {
      await chromium.close();
      await server.close();
      await Deno.remove(path);
    }
  },
});
