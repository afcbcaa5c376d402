/**
 * Private: the numbers the Wasm classifier module's code shares
 * (./_classifier_wasm_module.ts): the rule kinds its rule table holds, and
 * the indices of its imported functions and of its function types (the
 * types themselves: `_TYPES` there).
 *
 * @module
 */

/** Rule kinds (./_classifier.ts `_T_*`). */
export const KIND_NONE = 0;
export const KIND_ACCEPT = 1;
export const KIND_DROP = 2;
export const KIND_RETURN = 3;
export const KIND_JUMP = 4;
export const KIND_GOTO = 5;

// Function indices: the imports first.
export const F_LOAD_INDEX = 0;
export const F_JS_MATCH = 2;
export const F_JS_FIELD = 3;
export const F_LAZY_TEST = 4;
export const IMPORTS = 5;

// Type indices.
export const T_LOAD_INDEX = 0;
export const T_ANCILLARY = 1;
export const T_ONE = 2; // (i32) → i32: tests, collects
export const T_TWO = 3; // (i32, i32) → i32: runs, jsMatch
export const T_FIELD = 4; // (i32, i32) → f64: jsField
export const T_BATCH = 5; // (i32, i32) → ()
export const T_STAGE = 6; // (i32, i32, i32) → ()
export const T_RECORDS = 7; // (i32, i32, i32) → i32
export const T_RUN_RECORDS = 8; // () → i32: records with the entry chain inline
export const T_CHUNK = 7; // (frame, bound, key) → bound: a dispatch cut off a walk function
