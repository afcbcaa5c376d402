import assert from "node:assert/strict";
import { _buildKeyHash, _keySlot } from "./_key_hash.ts";

Deno.test("key hash: every key finds its slot, other keys none (against a Map)", () => {
  let seed = 7;
  const next = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0);
  for (const size of [0, 1, 2, 3, 100, 5000]) {
    const reference = new Map<number, number>();
    // Keys close together (probe chains) and spread out, both ends of the range.
    const candidates = [0, 0xffffffff, 1, 2, 3];
    while (candidates.length < size) candidates.push(size % 2 ? next() : candidates.length * 64);
    const keys = [...new Set(candidates.slice(0, size))];
    keys.forEach((key, slot) => reference.set(key, slot));
    const { keys: places, slots, shift } = _buildKeyHash(keys);
    assert.ok(places.length >= 2 * keys.length, "at most half full");
    for (const [key, slot] of reference) assert.equal(_keySlot(places, slots, shift, key), slot);
    for (let i = 0; i < 2000; i++) {
      const key = next();
      assert.equal(_keySlot(places, slots, shift, key), reference.get(key) ?? -1);
    }
  }
});
