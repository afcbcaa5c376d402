import assert from "node:assert/strict";
import { serve, WORKBENCH_DIST } from "../src/server/main.ts";
import { WORKBENCH_CSP } from "../src/server/workbench_routes.ts";

Deno.test("serve() serves the committed workbench build at / with its CSP", async () => {
  const dir = await Deno.makeTempDir({ prefix: "bpfstream-workbench-serve-" });
  const server = await serve({ port: 0, kv: `${dir}/rules.kv`, onError: () => {} });
  try {
    const page = await fetch(`${server.url}/`);
    assert.equal(page.status, 200);
    assert.equal(page.headers.get("content-security-policy"), WORKBENCH_CSP);
    const html = await page.text();
    assert.equal(html, await Deno.readTextFile(new URL("index.html", WORKBENCH_DIST)));
    for (const asset of html.matchAll(/(?:src|href)="(assets\/[^"]+)"/g)) {
      const response = await fetch(`${server.url}/${asset[1]}`);
      assert.equal(response.status, 200, asset[1]);
      assert.deepEqual(
        new Uint8Array(await response.arrayBuffer()),
        await Deno.readFile(new URL(asset[1], WORKBENCH_DIST)),
      );
    }
    const worker = await fetch(`${server.url}/assets/worker.js`);
    assert.equal(worker.status, 200);
    await worker.body?.cancel();
  } finally {
    await server.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});
