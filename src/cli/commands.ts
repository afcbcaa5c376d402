/**
 * The table of `bpfstream` subcommands, in the order `--help` lists them.
 *
 * To add one: write `src/cli/NAME_command.ts` exporting a
 * {@linkcode CliCommand}, and add it here. What it needs from the runtime
 * comes through {@linkcode CliIo}, which `main.ts` fills; `serve` (from
 * `src/server/serve_command.ts`) loads its runtime shell itself when run.
 *
 * @module
 */
import type { CliCommand } from "./cli_command.ts";
import type { CliIo } from "./cli_io.ts";
import { asmCommand } from "./asm_command.ts";
import { checkCommand } from "./check_command.ts";
import { compileCommand } from "./compile_command.ts";
import { disasmCommand } from "./disasm_command.ts";
import { filterCommand } from "./filter_command.ts";
import { traceCommand } from "./trace_command.ts";
import { u32Command } from "./u32_command.ts";
import { verdictsCommand } from "./verdicts_command.ts";
import { serveCommand } from "./serve_command.ts";

export type { CliCommand, CliIo };

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
 * ```
 */
export const cliCommands: readonly CliCommand[] = [
  filterCommand,
  verdictsCommand,
  checkCommand,
  compileCommand,
  disasmCommand,
  asmCommand,
  traceCommand,
  u32Command,
  serveCommand,
];
