/** STUB types — the u32 work defines these for real. */
export interface U32Test {
  /** Placeholder. */
  readonly location: unknown;
  /** Placeholder. */
  readonly ranges: ReadonlyArray<readonly [number, number]>;
}
