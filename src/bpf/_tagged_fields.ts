/**
 * Private: object shapes whose number fields V8 is to keep "tagged".
 *
 * V8 tracks a representation per field of an object shape: once a field has
 * held a number that is not a small integer (a uint32 of 2^31 or more: an
 * IPv4 address, a mask such as 0xffffffff), the field becomes "double", and
 * every object of that shape made from then on carries a boxed number of its
 * own for it, small values too. A rule set's compile makes BPF instructions,
 * guards and the summariser's and optimiser's values by the hundred thousand
 * (at 10,000 diverse rules, 169,000 of the 817,000 objects still live after
 * the compile were such boxes, most of them holding small integers), and the
 * collector copies each. A field that has once held a non-number is "tagged"
 * instead: small integers stay in place, only large values are boxed.
 *
 * {@linkcode _keepFieldsTagged} is given, once per shape, an object of that
 * shape (its properties in the order the code creates them) with `null` in
 * the fields that may hold large values, at module load, before any object
 * of the shape is made. No result depends on it (bench/RESULTS.md, "Cold
 * compile of 10,000 rules, session 14").
 *
 * @module
 */

/** The objects given so far (kept, so that their shapes stay as they made them). */
const _shapes: object[] = [];

/**
 * Keeps the fields of `shape`'s object shape that hold `null` in `shape`
 * tagged (see the module documentation): call it at module load with an
 * object literal whose properties come in the order the code creates them.
 */
export function _keepFieldsTagged(shape: object): void {
  _shapes.push(shape);
}

// A BPF instruction, as every module makes one: `{ code, jt, jf, k }`.
_keepFieldsTagged({ code: 0, jt: 0, jf: 0, k: null });
