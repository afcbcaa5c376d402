/**
 * Private: the open-addressing hash table of an exact index node
 * (./_rule_index.ts) and of an exact key table (./_key_tables.ts): distinct
 * 32-bit keys, each mapped to its slot number (its position among the keys
 * as given), found with one multiplicative hash and linear probing. The
 * table has at least twice as many places as keys (at most half full), so a
 * probe always ends at an empty place.
 *
 * @module
 */

/** The table: `keys[h]`/`slots[h]` per place (`slots[h]` -1: empty), `shift` = 32 - log2(places). */
export interface _KeyHash {
  keys: Uint32Array;
  slots: Int32Array;
  shift: number;
}

/** The place where probing for `key` starts. */
function _home(key: number, shift: number): number {
  return Math.imul(key, 0x9e3779b1) >>> shift;
}

/** The table of `keys` (distinct): key `keys[i]` gets slot `i`. */
export function _buildKeyHash(keys: readonly number[]): _KeyHash {
  let capacity = 4;
  let shift = 30;
  while (capacity < keys.length * 2) {
    capacity *= 2;
    shift--;
  }
  const table: _KeyHash = {
    keys: new Uint32Array(capacity),
    slots: new Int32Array(capacity).fill(-1),
    shift,
  };
  keys.forEach((key, slot) => {
    let h = _home(key, shift);
    while (table.slots[h] >= 0) h = (h + 1) & (capacity - 1);
    table.keys[h] = key;
    table.slots[h] = slot;
  });
  return table;
}

/** The slot of `key` in the table `keys`/`slots`/`shift`, or -1 when it is not there. */
export function _keySlot(keys: Uint32Array, slots: Int32Array, shift: number, key: number): number {
  const last = keys.length - 1;
  let h = _home(key, shift);
  for (;;) {
    const slot = slots[h];
    if (slot < 0 || keys[h] === key) return slot;
    h = (h + 1) & last;
  }
}
