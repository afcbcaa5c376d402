/**
 * The classic BPF engine.
 *
 * @module
 */
export * from "./opcodes.ts";
export type { Instruction, Program } from "./instruction.ts";
export type { PacketContext } from "./packet_context.ts";
export * from "./errors.ts";
export * from "./parse_bytecode.ts";
export * from "./format_bytecode.ts";
export * from "./validate.ts";
export * from "./interpret.ts";
export * from "./compile.ts";
export {
  compileWasm,
  type CompileWasmOptions,
  type WasmBatchOptions,
  WasmFilter,
} from "./compile_wasm.ts";
export * from "./disassemble.ts";
export * from "./assemble.ts";
export * from "./trace.ts";
export * from "./to_assembly.ts";
