/**
 * bpfstream: Linux-exact classic BPF packet filtering on Web Streams.
 *
 * @module
 */
export * from "./src/bpf/mod.ts";
export * from "./src/filter/mod.ts";
export * from "./src/u32/mod.ts";
export * from "./src/capture/mod.ts";
export * from "./src/rules/mod.ts";
export * from "./src/stream/mod.ts";
