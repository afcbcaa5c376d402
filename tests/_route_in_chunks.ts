/**
 * Test helper: a capture routed through `_RecordRouter` in chunks of a given
 * size, the accepted and dropped bytes, for comparing classifiers.
 *
 * @module
 */
import assert from "node:assert/strict";
import type { CompiledRuleSet } from "../src/rules/compiled_rule_set.ts";
import { _RecordRouter } from "../src/stream/_record_router.ts";

/** Routes a capture through `_RecordRouter` in chunks of `chunk` bytes: accepted and dropped bytes. */
export function _routeInChunks(
  rules: CompiledRuleSet,
  capture: Uint8Array,
  chunk: number,
): [Uint8Array, Uint8Array] {
  const sides = [[] as number[], [] as number[]];
  const sink = (side: number[]) => ({
    active: true,
    write(bytes: Uint8Array, from: number, to: number) {
      for (let i = from; i < to; i++) side.push(bytes[i]);
    },
  });
  const router = new _RecordRouter(rules, { frame: { interfaceName: "eth1" } });
  const accepted = sink(sides[0]);
  const dropped = sink(sides[1]);
  for (let at = 0; at < capture.length; at += chunk) {
    assert.equal(router.push(capture.subarray(at, at + chunk), accepted, dropped), undefined);
  }
  assert.equal(router.finish(accepted, dropped), undefined);
  return [Uint8Array.from(sides[0]), Uint8Array.from(sides[1])];
}
