/**
 * Where a rule's programs read from (its match base), as numbers: apart
 * from ./_match_tests.ts, so that the frame classes (./_frame_class.ts,
 * used by the command line's Wasm walk) do not load the match tests.
 *
 * @module
 */

/** Match base of a rule's programs: the network header. */
export const _BASE_NETWORK = 0;
/** Match base of a rule's programs: the frame's first byte. */
export const _BASE_LINK = 1;
