/**
 * The flags of `bpfstream serve`.
 *
 * @module
 */
import { _integer, _noPositionals, _parseOptions, _string } from "../args/_args.ts";
import { UsageError } from "../args/usage_error.ts";
import type { ServeOptions } from "./serve_options.ts";

/** Usage text of `bpfstream serve`. */
export const _SERVE_USAGE = `Usage: bpfstream serve [--port N] [--hostname H] [--kv PATH] [limits]

Serves the HTTP API (rule-set upload, counters, streaming filter) with the
rule sets stored in Deno KV. Mutating routes need "Authorization: Bearer
<token>" when BPFSTREAM_TOKEN is set; without it the server only listens on a
loopback address and only answers requests whose Host is a loopback name on
its port. SIGTERM and SIGINT flush the counters to KV before exiting.

  --port N                       TCP port, 0 for any free one (default 8000)
  --hostname H                   address to listen on (default 127.0.0.1)
  --kv PATH                      Deno KV file (default: Deno's default KV location)
  --adapter node|deno            HTTP server: @hono/node-server or Deno.serve (default node)
  --allowed-hosts H[,H...]       Host header values served ("name" or "name:port");
                                 default: loopback names on the port without a token, any with one
  --counter-flush-interval-ms N  flush counters to KV this often, 0: only at shutdown (default 10000)
  --max-instructions N           largest --bytecode program, 1..4096 (default 64)
  --max-body-bytes N             largest rule-set upload (default 1048576)
  --max-rules N                  most rules in a rule set (default 10000)
  --max-record-bytes N           largest captured record streamed to /filter (default 262144)
  --max-streams N                most /filter streams at once, then 503 (default 64)
  --stream-idle-timeout-ms N     end a /filter stream idle this long, 0: never (default 30000)
  --max-stream-memory-bytes N    memory budget of all /filter streams, then 503 (default 67108864)
  --max-compiled-rules N         most rules kept compiled over all rule sets; the least
                                 recently used idle sets are dropped first (default 10000)
  --stream-intake-bytes-per-second N
                                 most bytes/s all /filter streams together read while
                                 several are open, 0: no limit (default 67108864)`;

/** Parses the flags of `serve` into {@linkcode ServeOptions}; throws `UsageError`. */
export function _parseServeArgs(args: string[]): ServeOptions {
  const parsed = _parseOptions("serve", args, {
    port: { type: "string" },
    hostname: { type: "string" },
    kv: { type: "string" },
    adapter: { type: "string" },
    "allowed-hosts": { type: "string" },
    "counter-flush-interval-ms": { type: "string" },
    "max-instructions": { type: "string" },
    "max-body-bytes": { type: "string" },
    "max-rules": { type: "string" },
    "max-record-bytes": { type: "string" },
    "max-streams": { type: "string" },
    "stream-idle-timeout-ms": { type: "string" },
    "max-stream-memory-bytes": { type: "string" },
    "max-compiled-rules": { type: "string" },
    "stream-intake-bytes-per-second": { type: "string" },
  });
  _noPositionals(parsed, "serve");
  const hosts = _string(parsed, "allowed-hosts");
  const int = (name: string, min: number, max: number) =>
    _integer(parsed, name, "serve", min, max, undefined);
  const adapter = _string(parsed, "adapter");
  if (adapter !== undefined && adapter !== "node" && adapter !== "deno") {
    throw new UsageError(
      `Cannot run serve: option '--adapter' must be 'node' or 'deno' (got '${adapter}')`,
      "serve",
    );
  }
  return {
    adapter,
    port: int("port", 0, 65535),
    hostname: _string(parsed, "hostname"),
    kv: _string(parsed, "kv"),
    allowedHosts: hosts?.split(",").map((h) => h.trim()).filter((h) => h !== ""),
    counterFlushIntervalMs: int("counter-flush-interval-ms", 0, 86_400_000),
    maxInstructions: int("max-instructions", 1, 4096),
    maxBodyBytes: int("max-body-bytes", 1, 2 ** 31),
    maxRules: int("max-rules", 1, 1_000_000),
    maxRecordBytes: int("max-record-bytes", 64, 2 ** 30),
    maxStreams: int("max-streams", 1, 100_000),
    streamIdleTimeoutMs: int("stream-idle-timeout-ms", 0, 86_400_000),
    maxStreamMemoryBytes: int("max-stream-memory-bytes", 1, 2 ** 40),
    maxCompiledRules: int("max-compiled-rules", 1, 100_000_000),
    streamIntakeBytesPerSecond: int("stream-intake-bytes-per-second", 0, 2 ** 40),
  };
}
