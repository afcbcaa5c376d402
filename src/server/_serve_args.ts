/**
 * The flags of `bpfstream serve`.
 *
 * @module
 */
import { _integer, _noPositionals, _parseOptions, _string } from "../cli/_args.ts";
import type { ServeOptions } from "./main.ts";

/** Usage text of `bpfstream serve`. */
export const _SERVE_USAGE =
  `Usage: bpfstream serve [--port N] [--hostname H] [--kv PATH] [--max-instructions N]

Serves the HTTP API (rule-set upload, counters, streaming filter) with the
rule sets stored in Deno KV. Mutating routes need "Authorization: Bearer
<token>" when BPFSTREAM_TOKEN is set; without it the server only listens on a
loopback address.

  --port N                TCP port, 0 for any free one (default 8000)
  --hostname H            address to listen on (default 127.0.0.1)
  --kv PATH               Deno KV file (default: Deno's default KV location)
  --max-instructions N    largest --bytecode program, 1..4096 (default 64)
  --max-body-bytes N      largest rule-set upload (default 1048576)
  --max-rules N           most rules in a rule set (default 10000)`;

/** Parses the flags of `serve` into {@linkcode ServeOptions}; throws `UsageError`. */
export function _parseServeArgs(args: string[]): ServeOptions {
  const parsed = _parseOptions("serve", args, {
    port: { type: "string" },
    hostname: { type: "string" },
    kv: { type: "string" },
    "max-instructions": { type: "string" },
    "max-body-bytes": { type: "string" },
    "max-rules": { type: "string" },
  });
  _noPositionals(parsed, "serve");
  return {
    port: _integer(parsed, "port", "serve", 0, 65535, undefined),
    hostname: _string(parsed, "hostname"),
    kv: _string(parsed, "kv"),
    maxInstructions: _integer(parsed, "max-instructions", "serve", 1, 4096, undefined),
    maxBodyBytes: _integer(parsed, "max-body-bytes", "serve", 1, 2 ** 31, undefined),
    maxRules: _integer(parsed, "max-rules", "serve", 1, 1_000_000, undefined),
  };
}
