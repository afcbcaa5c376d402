/**
 * The HTTP service's shell on Deno: reads `BPFSTREAM_TOKEN`, opens Deno KV,
 * and serves {@linkcode createApp} with `@hono/node-server`, or with
 * `Deno.serve` (`adapter: "deno"`; it buffers a streamed request body while
 * the response streams, see docs/http.md "Which HTTP server"). The only file of `src/server` besides the KV store
 * that uses `Deno.*`.
 *
 * Run: `deno task cli serve [--port N] [--hostname H] [--kv PATH]`, or
 * `deno run -A src/server/main.ts [same flags]`.
 *
 * @module
 */
import { serve as serveNode } from "@hono/node-server";
import { type BpfstreamApp, createApp } from "./app.ts";
import type { ServeOptions } from "./serve_options.ts";
import { _guardNodeBody, type _NodeMessage, type _NodeResponse } from "./_node_body_guard.ts";
import { _createConnectionPacer, type _PausableSocket } from "./_connection_pacer.ts";
import { isLoopback } from "./is_loopback.ts";
import { withReadAhead } from "./with_read_ahead.ts";
import { KvRuleSetStore } from "./kv_rule_set_store.ts";
import type { WorkbenchAssets } from "./workbench_routes.ts";
import { _parseServeArgs, _SERVE_USAGE } from "./_serve_args.ts";
import { _HelpRequest } from "../args/_args.ts";

export type { ServeOptions } from "./serve_options.ts";

/** A running server, as {@linkcode serve} returns it. */
export interface BpfstreamServer {
  /** The address it listens on. */
  readonly hostname: string;
  /** The port it listens on (useful with `port: 0`). */
  readonly port: number;
  /** `http://hostname:port`. */
  readonly url: string;
  /** Stops listening, ends open connections, flushes counters to KV, stops watching and closes KV. */
  shutdown(): Promise<void>;
  /** Settles when the server has shut down. */
  readonly finished: Promise<void>;
}

/** The folder `deno task build:web` writes (`web/dist`, committed): the workbench served at `/`. */
export const WORKBENCH_DIST: URL = new URL("../../web/dist/", import.meta.url);

/**
 * {@linkcode WorkbenchAssets} reading the folder `dir`; a missing file is `undefined`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fileWorkbenchAssets, WORKBENCH_DIST } from "./main.ts";
 * const assets = fileWorkbenchAssets(WORKBENCH_DIST);
 * assert.match(new TextDecoder().decode(await assets.get("index.html")), /workbench/);
 * assert.equal(await assets.get("assets/missing.js"), undefined);
 * ```
 */
export function fileWorkbenchAssets(dir: URL): WorkbenchAssets {
  return {
    async get(path) {
      try {
        return await Deno.readFile(new URL(path, dir));
      } catch (error) {
        if (error instanceof Deno.errors.NotFound) return undefined;
        throw error;
      }
    },
  };
}

export { isLoopback };

/**
 * Starts the bpfstream HTTP service: Deno KV storage, the bearer token from
 * the environment, `@hono/node-server` (or `Deno.serve`, `adapter: "deno"`)
 * as the HTTP server.
 *
 * @throws {Error} Without a token on a non-loopback address.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { serve } from "./main.ts";
 * const folder = await Deno.makeTempDir();
 * const server = await serve({ port: 0, kv: `${folder}/bpfstream.kv` });
 * assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/); // port 0: any free port
 * await server.shutdown();
 * await Deno.remove(folder, { recursive: true });
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
  // A KV file this start creates is removed again if the start fails (a
  // port in use must not leave an empty rules.kv behind).
  const createdKv = options.kv !== undefined && !_exists(options.kv) ? options.kv : undefined;
  const store = await KvRuleSetStore.open(options.kv);
  const controller = new AbortController();
  const onError = options.onError ?? ((error: unknown) => console.error("bpfstream:", error));
  // Text chunks of uploads cut short by a kill (no head points at them, and
  // their one-minute upload marker expired): at start-up and every minute.
  const sweep = () => store.sweepOrphans().catch(onError);
  await sweep();
  const sweeper = setInterval(sweep, 60 * 1000);
  controller.signal.addEventListener("abort", () => clearInterval(sweeper), { once: true });
  const makeApp = (allowedHosts: string[] | undefined) =>
    createApp({
      store,
      token,
      allowedHosts,
      signal: controller.signal,
      counterFlushIntervalMs: options.counterFlushIntervalMs ?? 10_000,
      limits: {
        maxInstructions: options.maxInstructions,
        maxBodyBytes: options.maxBodyBytes,
        maxRules: options.maxRules,
        maxRecordBytes: options.maxRecordBytes,
        maxStreams: options.maxStreams,
        streamIdleTimeoutMs: options.streamIdleTimeoutMs,
        maxStreamMemoryBytes: options.maxStreamMemoryBytes,
        streamIntakeBytesPerSecond: options.streamIntakeBytesPerSecond,
        maxCompiledRules: options.maxCompiledRules,
      },
      onError,
      workbench: fileWorkbenchAssets(WORKBENCH_DIST),
    });
  let app: BpfstreamApp | undefined;
  let listener: _Listener;
  try {
    listener = await (options.adapter === "deno" ? _listenDeno : _listenNode)(
      { port: options.port ?? 8000, hostname },
      (request, extra) => app!.fetch(request, extra),
      (address) => {
        app = makeApp(
          options.allowedHosts ??
            (token === undefined ? _loopbackHosts(address.address, address.port) : undefined),
        );
      },
    );
  } catch (error) {
    controller.abort();
    store.close();
    if (createdKv !== undefined) _removeKvFiles(createdKv);
    throw error;
  }
  const address = listener.address;
  let resolveFinished!: () => void;
  const finished = new Promise<void>((resolve) => resolveFinished = resolve);
  let stopping: Promise<void> | undefined;
  const signals = options.stopOnSignals ? (["SIGINT", "SIGTERM"] as const) : [];
  const onSignal = () => void shutdown();
  const shutdown = () =>
    stopping ??= (async () => {
      for (const signal of signals) Deno.removeSignalListener(signal, onSignal);
      controller.abort();
      await listener.close();
      try {
        await app?.flushCounters();
      } catch (error) {
        onError(error);
      }
      store.close();
      resolveFinished();
    })();
  for (const signal of signals) Deno.addSignalListener(signal, onSignal);
  const host = address.address.includes(":") ? `[${address.address}]` : address.address;
  return {
    hostname: address.address,
    port: address.port,
    url: `http://${host}:${address.port}`,
    shutdown,
    finished,
  };
}

/** A listening HTTP server of either adapter. */
interface _Listener {
  readonly address: { address: string; port: number };
  /** Stops listening and ends open connections. */
  close(): Promise<void>;
}

type _Fetch = (request: Request, extra?: unknown) => Response | Promise<Response>;
type _OnListen = (address: { address: string; port: number }) => void;

/**
 * `@hono/node-server`: reads an upload only as fast as the app takes it;
 * request bodies pass {@linkcode _guardNodeBody}; new connections beyond a
 * few per event-loop turn wait for later turns ({@linkcode _createConnectionPacer}).
 */
function _listenNode(
  where: { port: number; hostname: string },
  fetch: _Fetch,
  onListen: _OnListen,
): Promise<_Listener> {
  return new Promise<_Listener>((resolve, reject) => {
    const server = serveNode(
      {
        fetch: (request: Request, env: { incoming?: _NodeMessage; outgoing?: _NodeResponse }) =>
          fetch(_guardNodeBody(request, env?.incoming, env?.outgoing), env),
        port: where.port,
        hostname: where.hostname,
        overrideGlobalObjects: false,
      },
      (info) => {
        onListen(info);
        resolve({
          address: info,
          close: () => {
            const closed = new Promise<void>((done) => server.close(() => done()));
            (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
            return closed;
          },
        });
      },
    );
    server.once("error", reject);
    // After the HTTP server's own listener, so that the pause holds.
    const pace = _createConnectionPacer();
    server.on("connection", (socket: _PausableSocket) => pace(socket));
  });
}

/**
 * `Deno.serve` with {@linkcode withReadAhead}. Shutting down waits at most
 * one second for open requests (a filter stream may run much longer).
 */
function _listenDeno(
  where: { port: number; hostname: string },
  fetch: _Fetch,
  onListen: _OnListen,
): Promise<_Listener> {
  return new Promise<_Listener>((resolve, reject) => {
    try {
      const server = Deno.serve({
        port: where.port,
        hostname: where.hostname,
        onListen: () => {},
      }, withReadAhead((request: Request) => fetch(request)));
      const address = { address: server.addr.hostname, port: server.addr.port };
      onListen(address);
      resolve({
        address,
        close: async () => {
          let timer: ReturnType<typeof setTimeout> | undefined;
          await Promise.race([
            server.shutdown(),
            new Promise((done) => timer = setTimeout(done, 1000)),
          ]);
          clearTimeout(timer);
        },
      });
    } catch (error) {
      reject(error);
    }
  });
}

/** The `Host` values a loopback server without a token answers: loopback names on its port. */
function _loopbackHosts(address: string, port: number): string[] {
  const bound = address.includes(":") ? `[${address}]` : address;
  return [...new Set(["localhost", "127.0.0.1", "[::1]", bound])].map((h) => `${h}:${port}`);
}

if (import.meta.main) {
  try {
    const options = _parseServeArgs(Deno.args);
    const server = await serve({ ...options, stopOnSignals: true });
    console.error(`bpfstream: listening on ${server.url}/`);
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

function _exists(path: string): boolean {
  try {
    Deno.lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

/** Removes a SQLite-backed KV file and its journal files. */
function _removeKvFiles(path: string): void {
  for (const file of [path, `${path}-shm`, `${path}-wal`, `${path}-journal`]) {
    try {
      Deno.removeSync(file);
    } catch {
      // Not there.
    }
  }
}
