/**
 * The shape of one `bpfstream` subcommand.
 *
 * @module
 */
import type { CliIo } from "./cli_io.ts";

/**
 * A subcommand of `bpfstream`: `runCli` finds it by name in `cliCommands`
 * and calls `run` with the arguments after the name.
 *
 * `runCli` answers `bpfstream NAME --help` itself with `usage`; a command
 * should also accept `--help` among other options (`_parseOptions` does).
 *
 * `run` returns the exit status (0 success, 1 data or rule error); it throws
 * `UsageError` for bad arguments (status 2) and any other error for bad data
 * (status 1; the message is printed once, without a stack trace unless
 * `--debug`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { CliCommand } from "./cli_command.ts";
 * import { _testIo } from "./_test_io.ts";
 * const hello: CliCommand = {
 *   name: "hello",
 *   summary: "print a greeting",
 *   usage: "bpfstream hello",
 *   async run(_args, io) {
 *     const writer = io.stdout.getWriter();
 *     await writer.write(new TextEncoder().encode("hello\n"));
 *     writer.releaseLock();
 *     return 0;
 *   },
 * };
 * const { io, stdoutText } = _testIo();
 * assert.equal(await hello.run([], io), 0);
 * assert.equal(stdoutText(), "hello\n");
 * ```
 */
export interface CliCommand {
  /** The subcommand name (`filter`, `verdicts`...). */
  name: string;
  /** One line for `bpfstream --help`. */
  summary: string;
  /** The full usage text for `bpfstream NAME --help` (no final line break). */
  usage: string;
  /** Runs the subcommand. */
  run(args: string[], io: CliIo): Promise<number>;
}
