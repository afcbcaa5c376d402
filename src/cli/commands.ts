/**
 * The table of `bpfstream` subcommands, in the order `--help` lists them.
 *
 * Each entry loads its command's module only when the command runs (or
 * `--help` lists them all): `bpfstream filter` does not load the modules of
 * `trace`, `asm` or `serve`, which saves start-up time on every run
 * (bench/RESULTS.md, issue 12, session 3).
 *
 * To add one: write `src/cli/NAME_command.ts` exporting a
 * {@linkcode CliCommand}, and add an entry here. What it needs from the
 * runtime comes through {@linkcode CliIo}, which `main.ts` fills; `serve`
 * (from `src/server/serve_command.ts`) loads its runtime shell itself when
 * run.
 *
 * @module
 */
import type { CliCommand } from "./cli_command.ts";
import type { CliIo } from "./cli_io.ts";

export type { CliCommand, CliIo };

/** One subcommand of {@linkcode cliCommands}: its name, and its command loaded on demand. */
export interface CliCommandEntry {
  /** The subcommand name, as typed (`filter`, `verdicts`...). */
  readonly name: string;
  /** Imports the command's module; resolves with the command. */
  load(): Promise<CliCommand>;
}

/**
 * Every subcommand `runCli` knows.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { cliCommands } from "./commands.ts";
 * assert.equal(
 *   cliCommands.map((c) => c.name).join(" "),
 *   "filter verdicts check compile disasm asm trace u32 serve",
 * );
 * const filter = await cliCommands[0].load();
 * assert.equal(filter.name, "filter");
 * ```
 */
export const cliCommands: readonly CliCommandEntry[] = [
  { name: "filter", load: () => import("./filter_command.ts").then((m) => m.filterCommand) },
  { name: "verdicts", load: () => import("./verdicts_command.ts").then((m) => m.verdictsCommand) },
  { name: "check", load: () => import("./check_command.ts").then((m) => m.checkCommand) },
  { name: "compile", load: () => import("./compile_command.ts").then((m) => m.compileCommand) },
  { name: "disasm", load: () => import("./disasm_command.ts").then((m) => m.disasmCommand) },
  { name: "asm", load: () => import("./asm_command.ts").then((m) => m.asmCommand) },
  { name: "trace", load: () => import("./trace_command.ts").then((m) => m.traceCommand) },
  { name: "u32", load: () => import("./u32_command.ts").then((m) => m.u32Command) },
  { name: "serve", load: () => import("./serve_command.ts").then((m) => m.serveCommand) },
];
