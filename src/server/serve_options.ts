/**
 * {@linkcode ServeOptions}: what `serve` (./main.ts) and the `serve` command take.
 *
 * @module
 */
import type { AppLimits } from "./app_deps.ts";

/**
 * Options of `serve` (./main.ts); the stream limits are those of {@linkcode AppLimits}.
 */
export interface ServeOptions extends
  Partial<
    Pick<
      AppLimits,
      | "maxRecordBytes"
      | "maxStreams"
      | "streamIdleTimeoutMs"
      | "maxStreamMemoryBytes"
      | "streamIntakeBytesPerSecond"
      | "maxCompiledRules"
    >
  > {
  /** TCP port; 0 picks a free one. @default {8000} */
  port?: number;
  /** Address to listen on. Anything but loopback needs a token. @default {"127.0.0.1"} */
  hostname?: string;
  /**
   * The HTTP server: `"node"` (`@hono/node-server`) or `"deno"` (`Deno.serve`
   * with `withReadAhead`); see docs/http.md for how they compare under load.
   * @default {"node"}
   */
  adapter?: "node" | "deno";
  /** Deno KV file; omitted: `Deno.openKv()`'s default (the platform's KV on Deno Deploy). */
  kv?: string;
  /** Bearer token for mutating routes. @default {Deno.env.get("BPFSTREAM_TOKEN")} */
  token?: string;
  /** Largest `--bytecode` program: 64 (xt_bpf) up to 4096. @default {64} */
  maxInstructions?: number;
  /** Largest rule-set body in bytes. @default {1048576} */
  maxBodyBytes?: number;
  /** Most rules per rule set. @default {10000} */
  maxRules?: number;
  /** Flush counters to KV this often; 0: only at shutdown and on demand. @default {10000} */
  counterFlushIntervalMs?: number;
  /**
   * `Host` values served (`name` or `name:port`).
   * @default {without a token: localhost, 127.0.0.1, [::1] and the bound address, on the bound port; with a token: any}
   */
  allowedHosts?: string[];
  /** Shut down (flushing counters) on SIGTERM and SIGINT. @default {false} */
  stopOnSignals?: boolean;
  /** Unexpected errors (500s, broken streams). @default {console.error} */
  onError?: (error: unknown) => void;
}
