/**
 * `bpfstream serve`: the HTTP service as a subcommand of the CLI.
 *
 * @module
 */
import type { CliCommand } from "./cli_command.ts";
import { _parseServeArgs, _SERVE_USAGE } from "../server/_serve_args.ts";

/**
 * The `serve` subcommand. Flags are parsed here (usage errors exit 2); the
 * runtime side (KV, token, listening) is `serve()` of `src/server/main.ts`,
 * imported only when the command runs so that the CLI's in-process tests
 * never load it.
 *
 * @example
 * ```ts ignore
 * import assert from "node:assert/strict";
 * import { serveCommand } from "./serve_command.ts";
 * assert.equal(serveCommand.name, "serve");
 * await serveCommand.run(["--port", "8080", "--kv", "rules.kv"], io); // serves until killed
 * ```
 */
export const serveCommand: CliCommand = {
  name: "serve",
  summary: "serve the HTTP API (rule-set upload, counters, streaming filter)",
  usage: _SERVE_USAGE,
  async run(args, io) {
    const options = _parseServeArgs(args);
    const { serve } = await import("../server/main.ts");
    const server = await serve({ ...options, stopOnSignals: true });
    const writer = io.stderr.getWriter();
    await writer.write(new TextEncoder().encode(`bpfstream: listening on ${server.url}/\n`));
    writer.releaseLock();
    await server.finished;
    return 0;
  },
};
