import assert from "node:assert/strict";
import { createApp } from "./app.ts";
import { MemoryRuleSetStore } from "./memory_rule_set_store.ts";
import { WORKBENCH_CSP, type WorkbenchAssets } from "./workbench_routes.ts";

const files = new Map<string, Uint8Array>([
  ["index.html", new TextEncoder().encode("<!doctype html><title>workbench</title>")],
  ["assets/workbench.js", new TextEncoder().encode("console.log(1);")],
  ["assets/workbench.css", new TextEncoder().encode("body{}")],
]);
const requested: string[] = [];
const assets: WorkbenchAssets = {
  get(path) {
    requested.push(path);
    return Promise.resolve(files.get(path));
  },
};

Deno.test("workbench routes serve the page and its assets with the strict CSP", async () => {
  const app = createApp({ store: new MemoryRuleSetStore(), workbench: assets });
  for (
    const [path, type] of [["/", "text/html"], ["/assets/workbench.js", "text/javascript"], [
      "/assets/workbench.css",
      "text/css",
    ]]
  ) {
    const response = await app.request(path);
    assert.equal(response.status, 200, path);
    assert.match(response.headers.get("content-type") ?? "", new RegExp(`^${type};`));
    assert.equal(response.headers.get("content-security-policy"), WORKBENCH_CSP);
    assert.equal(response.headers.get("x-content-type-options"), "nosniff");
    const file = path === "/" ? "index.html" : path.slice(1);
    assert.deepEqual(new Uint8Array(await response.arrayBuffer()), files.get(file));
  }
  assert.doesNotMatch(WORKBENCH_CSP, /unsafe-eval|unsafe-inline/);
});

Deno.test("workbench routes refuse other names without reading them", async () => {
  const app = createApp({ store: new MemoryRuleSetStore(), workbench: assets });
  requested.length = 0;
  for (
    const path of ["/assets/..%2f..%2fdeno.json", "/assets/x.ts", "/assets/.env", "/assets/a/b.js"]
  ) {
    const response = await app.request(path);
    assert.equal(response.status, 404, path);
    assert.equal((await response.json()).code, "ROUTE_NOT_FOUND");
  }
  assert.deepEqual(requested, []);
  const missing = await app.request("/assets/missing.js");
  assert.equal(missing.status, 404);
  assert.deepEqual(requested, ["assets/missing.js"]);
});

Deno.test("workbench page loads without the token when every API route needs it", async () => {
  const app = createApp({
    store: new MemoryRuleSetStore(),
    workbench: assets,
    token: "s3cret",
    protect: "all",
  });
  assert.equal((await app.request("/")).status, 200);
  assert.equal((await app.request("/rulesets")).status, 401);
});

Deno.test("without workbench assets there is no page at /", async () => {
  const app = createApp({ store: new MemoryRuleSetStore() });
  assert.equal((await app.request("/")).status, 404);
});
