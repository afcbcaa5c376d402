/**
 * The flags of `bpfstream serve`.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { UsageError } from "../cli/usage_error.ts";
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

function _integer(value: string | undefined, flag: string, min: number, max: number) {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < min || n > max) {
    throw new UsageError(
      `Cannot run serve: option '--${flag}' must be an integer from ${min} to ${max} (got '${value}')`,
      "serve",
    );
  }
  return n;
}

/** Parses the flags of `serve` into {@linkcode ServeOptions}; throws `UsageError`. */
export function _parseServeArgs(args: string[]): ServeOptions {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        port: { type: "string" },
        hostname: { type: "string" },
        kv: { type: "string" },
        "max-instructions": { type: "string" },
        "max-body-bytes": { type: "string" },
        "max-rules": { type: "string" },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new UsageError(`Cannot run serve: ${(error as Error).message}`, "serve");
  }
  return {
    port: _integer(values.port, "port", 0, 65535),
    hostname: values.hostname,
    kv: values.kv,
    maxInstructions: _integer(values["max-instructions"], "max-instructions", 1, 4096),
    maxBodyBytes: _integer(values["max-body-bytes"], "max-body-bytes", 1, 2 ** 31),
    maxRules: _integer(values["max-rules"], "max-rules", 1, 1_000_000),
  };
}
