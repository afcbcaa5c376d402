/**
 * The tcpdump filter-language compiler.
 *
 * @module
 */
export * from "./compile_filter.ts";
