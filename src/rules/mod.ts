/**
 * rules (in progress).
 *
 * @module
 */
export {};
