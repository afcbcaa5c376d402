/**
 * The error for a command line that cannot be understood.
 *
 * @module
 */

/**
 * A usage error: an unknown option, a missing argument, a bad option value.
 * `runCli` prints its message with a hint to `--help` and exits with status 2.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { UsageError } from "./usage_error.ts";
 * const error = new UsageError("Cannot run filter: option '--base' must be 'link' or 'network'", "filter");
 * assert.equal(error.command, "filter");
 * assert.ok(error instanceof TypeError);
 * ```
 */
export class UsageError extends TypeError {
  /** The subcommand whose usage applies, if any. */
  readonly command: string | undefined;
  /** Builds the error; the message names the option or argument at fault. */
  constructor(message: string, command?: string) {
    super(message);
    this.name = "UsageError";
    this.command = command;
  }
}
