/**
 * Test and bench helper: headless Debian Chromium driven by puppeteer-core,
 * and the workbench built fresh and served by the Hono app on 127.0.0.1.
 *
 * @module
 */
import puppeteer, { type Browser } from "puppeteer-core";
import { buildWorkbenchInChild } from "./_build_workbench.ts";
import { createApp } from "../src/server/app.ts";
import { MemoryRuleSetStore } from "../src/server/memory_rule_set_store.ts";

/** Where `.ci/install_browser.sh` puts Chromium. */
export const CHROMIUM = "/usr/bin/chromium";

/** Why browser tests must skip here, or `undefined` when Chromium runs. */
export function browserSkipReason(): string | undefined {
  try {
    const { success } = new Deno.Command(CHROMIUM, {
      args: ["--version"],
      stdout: "null",
      stderr: "null",
    })
      .outputSync();
    if (!success) return `${CHROMIUM} --version failed; skipping the browser tests`;
  } catch {
    return `Chromium not found at ${CHROMIUM} (run .ci/install_browser.sh); skipping the browser tests`;
  }
  return undefined;
}

/** Launches headless Chromium with a fresh profile. */
export async function launchBrowser(): Promise<{ browser: Browser; close(): Promise<void> }> {
  const profile = await Deno.makeTempDir({ prefix: "bpfstream-chromium-" });
  const browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      `--user-data-dir=${profile}`,
    ],
  });
  return {
    browser,
    async close() {
      await browser.close();
      await Deno.remove(profile, { recursive: true }).catch(() => {});
    },
  };
}

/** The workbench served by the app (built from `web/` now), with an in-memory store. */
export async function serveWorkbench(
  token: string,
): Promise<{ url: string; close(): Promise<void> }> {
  const files = await buildWorkbenchInChild();
  const controller = new AbortController();
  const app = createApp({
    store: new MemoryRuleSetStore(),
    token,
    signal: controller.signal,
    workbench: { get: (path) => Promise.resolve(files.get(path)) },
  });
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, signal: controller.signal, onListen() {} },
    app.fetch,
  );
  return {
    url: `http://127.0.0.1:${server.addr.port}/`,
    async close() {
      controller.abort();
      await server.finished;
    },
  };
}
