/**
 * capture (in progress).
 *
 * @module
 */
export {};
