import assert from "node:assert/strict";
import { _checkModelInSlices, _RULES_PER_CHECK_SLICE } from "./_check_model.ts";
import { _HttpError } from "./_http_error.ts";
import { createApp } from "./app.ts";
import { MemoryRuleSetStore } from "./memory_rule_set_store.ts";

/** A model of `rules` rules in INPUT (ports as `--bytecode`, comments, addresses). */
function _model(rules: number) {
  return {
    table: "filter",
    chains: [{
      name: "INPUT",
      policy: "ACCEPT",
      rules: Array.from({ length: rules }, (_, i) => ({
        base: "network",
        matches: i % 2 === 0
          ? [{ kind: "comment", comment: `rule ${i}` }, {
            kind: "address",
            direction: "source",
            address: `10.0.${i & 255}.0`,
            prefixLength: 24,
            invert: false,
          }]
          : [{
            kind: "bpf",
            invert: false,
            program: [{ code: 6, jt: 0, jf: 0, k: i }],
          }],
        target: i % 3 === 0 ? null : "DROP",
      })),
    }],
  };
}

/** Runs `work`, counting the 0 ms timers it sets (its yields to the event loop). */
async function _countYields<T>(work: () => Promise<T>): Promise<{ result: T; yields: number }> {
  const setTimer = globalThis.setTimeout;
  let yields = 0;
  globalThis.setTimeout = ((callback: () => void, ms?: number) => {
    if (!ms) yields++;
    return setTimer(callback, ms);
  }) as typeof setTimeout;
  try {
    return { result: await work(), yields };
  } finally {
    globalThis.setTimeout = setTimer;
  }
}

Deno.test("_checkModelInSlices yields after every _RULES_PER_CHECK_SLICE rules and returns the model", async () => {
  const model = _model(1_000);
  const { result, yields } = await _countYields(() => _checkModelInSlices(model));
  assert.equal(result, model);
  assert.equal(yields, Math.floor(1_000 / _RULES_PER_CHECK_SLICE));
});

Deno.test("_checkModelInSlices names the JSON pointer of a bad match past the first slices", async () => {
  const model = _model(1_000);
  (model.chains[0].rules[900].matches[0] as { kind: string }).kind = "nope";
  await assert.rejects(
    () => _checkModelInSlices(model),
    (error: unknown) =>
      error instanceof _HttpError && error.status === 400 &&
      error.message.includes("/chains/0/rules/900/matches/0/kind"),
  );
});

Deno.test("a JSON upload that fails the check late stores nothing (fail closed)", async () => {
  const token = "test-token-0123456789";
  const app = createApp({ store: new MemoryRuleSetStore(), token });
  const model = _model(1_000);
  (model.chains[0].rules[999] as { base: string }).base = "transport";
  const response = await app.request("/rulesets/late", {
    method: "PUT",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify(model),
  });
  assert.equal(response.status, 400);
  assert.match(await response.text(), /\/chains\/0\/rules\/999\/base/);
  assert.equal((await app.request("/rulesets/late")).status, 404);
});
