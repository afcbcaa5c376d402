/**
 * Private (bench): the shapes of the records router, its sinks and the Wasm
 * classifier's block pool as the in-process A/B benches use them from trees
 * loaded side by side (each tree's own classes, so typed structurally here).
 *
 * @module
 */

/** The Wasm classifier's block pool: lends the blocks the router reads into. */
export interface _Pool {
  take(size: number): Uint8Array | undefined;
  give(block: Uint8Array): boolean;
}

/** Where the router writes accepted or dropped records. */
export interface _Sink {
  active: boolean;
  write(bytes: Uint8Array, from: number, to: number): void;
}

/** The records router (`_RecordRouter`): pushed blocks, then finished. */
export interface _Router {
  push(chunk: Uint8Array, accepted: _Sink, dropped?: _Sink): unknown;
  finish(accepted: _Sink, dropped?: _Sink): unknown;
}
