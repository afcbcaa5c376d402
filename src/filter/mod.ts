/**
 * The tcpdump filter-language compiler (`bpfstream/filter`): pcap-filter(7) expressions to classic
 * BPF programs with libpcap 1.10's meaning.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { compileFilter, formatFilterProgram } from "./mod.ts";
 * const program = compileFilter("tcp port 22", { linkType: 1 });
 * assert.equal(formatFilterProgram(program, "d").split("\n")[0], "(000) ldh      [12]");
 * ```
 *
 * @module
 */
export { compileFilter, type CompileFilterOptions } from "./compile_filter.ts";
export { FilterSyntaxError } from "./filter_syntax_error.ts";
export { FilterRejectsAllError } from "./filter_rejects_all_error.ts";
export { type FilterInterface, filterOptionsForInterface } from "./filter_options_for_interface.ts";
export { type FilterProgramStyle, formatFilterProgram } from "./format_filter_program.ts";
