/**
 * The iptables u32 match.
 *
 * @module
 */
export type { U32Test } from "./types.ts";
export * from "./parse_u32.ts";
export * from "./compile_u32.ts";
export * from "./u32_to_bpf.ts";
