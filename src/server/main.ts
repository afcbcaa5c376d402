/**
 * The HTTP service's shell on Deno: reads `BPFSTREAM_TOKEN`, opens Deno KV,
 * and serves {@linkcode createApp} with `@hono/node-server` (Deno.serve
 * buffers a streamed request body while the response streams; see
 * README "HTTP service"). The only file of `src/server` besides the KV store
 * that uses `Deno.*`.
 *
 * Run: `deno task cli serve [--port N] [--hostname H] [--kv PATH]`, or
 * `deno run -A src/server/main.ts [same flags]`.
 *
 * @module
 */
import type { AddressInfo } from "node:net";
import { serve as serveNode } from "@hono/node-server";
import { createApp } from "./app.ts";
import { isLoopback } from "./is_loopback.ts";
import { KvRuleSetStore } from "./kv_rule_set_store.ts";
import { _parseServeArgs, _SERVE_USAGE } from "./_serve_args.ts";
import { _HelpRequest } from "../cli/_args.ts";

/** Options of {@linkcode serve}. */
export interface ServeOptions {
  /** TCP port; 0 picks a free one. @default {8000} */
  port?: number;
  /** Address to listen on. Anything but loopback needs a token. @default {"127.0.0.1"} */
  hostname?: string;
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
  /** Flush counters to KV this often. @default {10000} */
  counterFlushIntervalMs?: number;
  /** Unexpected errors (500s, broken streams). @default {console.error} */
  onError?: (error: unknown) => void;
}

/** A running server, as {@linkcode serve} returns it. */
export interface BpfstreamServer {
  /** The address it listens on. */
  readonly hostname: string;
  /** The port it listens on (useful with `port: 0`). */
  readonly port: number;
  /** `http://hostname:port`. */
  readonly url: string;
  /** Stops listening, ends open connections, stops watching and closes KV. */
  shutdown(): Promise<void>;
  /** Settles when the server has shut down. */
  readonly finished: Promise<void>;
}

export { isLoopback };

/**
 * Starts the bpfstream HTTP service: Deno KV storage, the bearer token from
 * the environment, `@hono/node-server` as the HTTP server.
 *
 * @throws {Error} Without a token on a non-loopback address.
 *
 * @example
 * ```ts ignore
 * import { serve } from "./main.ts";
 * const server = await serve({ port: 0, kv: "/tmp/bpfstream.kv" });
 * console.log(server.url);
 * await server.shutdown();
 * ```
 */
export async function serve(options: ServeOptions = {}): Promise<BpfstreamServer> {
  const hostname = options.hostname ?? "127.0.0.1";
  const token = options.token ?? (Deno.env.get("BPFSTREAM_TOKEN") || undefined);
  if (token === undefined && !isLoopback(hostname)) {
    throw new Error(
      `Cannot start server: "${hostname}" is not a loopback address and BPFSTREAM_TOKEN is not set`,
    );
  }
  const store = await KvRuleSetStore.open(options.kv);
  const controller = new AbortController();
  const onError = options.onError ?? ((error: unknown) => console.error("bpfstream:", error));
  const app = createApp({
    store,
    token,
    signal: controller.signal,
    counterFlushIntervalMs: options.counterFlushIntervalMs ?? 10_000,
    limits: {
      maxInstructions: options.maxInstructions,
      maxBodyBytes: options.maxBodyBytes,
      maxRules: options.maxRules,
    },
    onError,
  });
  let server: ReturnType<typeof serveNode>;
  let address: AddressInfo;
  try {
    address = await new Promise<AddressInfo>((resolve, reject) => {
      server = serveNode(
        {
          fetch: app.fetch,
          port: options.port ?? 8000,
          hostname,
          overrideGlobalObjects: false,
        },
        (info) => resolve(info),
      );
      server.once("error", reject);
    });
  } catch (error) {
    controller.abort();
    store.close();
    throw error;
  }
  let resolveFinished!: () => void;
  const finished = new Promise<void>((resolve) => resolveFinished = resolve);
  let stopping: Promise<void> | undefined;
  const shutdown = () =>
    stopping ??= (async () => {
      controller.abort();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      const http = server as unknown as { closeAllConnections?: () => void };
      http.closeAllConnections?.();
      await closed;
      store.close();
      resolveFinished();
    })();
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return {
    hostname: address.address,
    port: address.port,
    url: `http://${host}:${address.port}`,
    shutdown,
    finished,
  };
}

if (import.meta.main) {
  try {
    const options = _parseServeArgs(Deno.args);
    const server = await serve(options);
    console.error(`bpfstream: listening on ${server.url}/`);
    for (const signal of ["SIGINT", "SIGTERM"] as const) {
      Deno.addSignalListener(signal, () => server.shutdown());
    }
    await server.finished;
  } catch (error) {
    if (error instanceof _HelpRequest) {
      console.log(_SERVE_USAGE);
      Deno.exit(0);
    }
    console.error(`bpfstream serve: ${error instanceof Error ? error.message : error}`);
    Deno.exit(error instanceof TypeError && error.name === "UsageError" ? 2 : 1);
  }
}
