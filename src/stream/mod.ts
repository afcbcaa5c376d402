/**
 * stream (in progress).
 *
 * @module
 */
export {};
