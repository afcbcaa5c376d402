/**
 * Private: the numbers the Wasm classifier's frame records hold for a
 * frame's `-i`/`-o` interface names (`_loadField` of an interface field:
 * the number among the names rules give, -1 for any other name).
 *
 * @module
 */

/** Numbers interface names, remembering the last name asked (frames come in runs of one interface). */
export class _InterfaceNumbers {
  #lastName: string | undefined = undefined;
  #lastNumber = -1;
  /** Numbers by the names `-i`/`-o` rules give (null: no rule gives one). */
  constructor(readonly names: ReadonlyMap<string, number> | null) {}
  /** The number of `name` (no name: ""), or -1 where no rule gives it. */
  of(name: string | undefined): number {
    if (this.names === null) return -1;
    const key = name ?? "";
    if (key !== this.#lastName) this.#lastNumber = this.names.get(this.#lastName = key) ?? -1;
    return this.#lastNumber;
  }
}
