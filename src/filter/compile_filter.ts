import type { Instruction } from "../bpf/instruction.ts";
/** Options of {@linkcode compileFilter}. */
export interface CompileFilterOptions {
  /** LINKTYPE_ value of the packets. @default {1} */
  linkType?: number;
  /** Value returned on a match. @default {262144} */
  snaplen?: number;
  /** Run the optimizer. @default {true} */
  optimize?: boolean;
}
/** STUB — replaced by the filter-language work. */
export function compileFilter(_expression: string, _options?: CompileFilterOptions): Instruction[] {
  throw new Error("not implemented");
}
