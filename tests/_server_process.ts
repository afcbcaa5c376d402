/**
 * A real `bpfstream serve` (src/server/main.ts: `@hono/node-server`, Deno KV
 * in a file) in a subprocess on 127.0.0.1 with port 0, and a raw TCP client
 * that writes HTTP bytes by hand. Shared by the HTTP tests and the attack
 * script in bench/.
 *
 * @module
 */
import { fileURLToPath } from "node:url";

const _ROOT = fileURLToPath(new URL("../", import.meta.url));

/** A running server subprocess. */
export interface ServerProcess {
  /** `http://127.0.0.1:PORT`. */
  url: string;
  /** The port it listens on. */
  port: number;
  /** Its process id (for RSS). */
  pid: number;
  /** What it wrote to stderr so far. */
  log(): string;
  /** Sends `signal` (default SIGTERM) and waits for the exit status. */
  stop(signal?: Deno.Signal): Promise<Deno.CommandStatus>;
}

/**
 * Starts `src/server/main.ts --port 0 --kv KV ...args` (or `script`, a path
 * from the repository root taking the same flags, with `denoArgs` before it;
 * `root`: another checkout's root, for benches) and waits until it listens.
 */
export async function startServer(
  kv: string,
  options: {
    args?: string[];
    token?: string;
    script?: string;
    denoArgs?: string[];
    root?: string;
  } = {},
): Promise<ServerProcess> {
  const root = options.root ?? _ROOT;
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      ...(options.denoArgs ?? []),
      "--config",
      root + "deno.json",
      root + (options.script ?? "src/server/main.ts"),
      "--hostname",
      "127.0.0.1",
      "--port",
      "0",
      "--kv",
      kv,
      ...(options.args ?? []),
    ],
    env: { BPFSTREAM_TOKEN: options.token ?? "", NO_COLOR: "1" },
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let log = "";
  const decoder = new TextDecoder();
  let resolveUrl!: (url: string | null) => void;
  const listening = new Promise<string | null>((resolve) => resolveUrl = resolve);
  const drained = (async () => {
    for await (const chunk of child.stderr) {
      log += decoder.decode(chunk, { stream: true });
      const match = /listening on (http:\/\/\S+?)\/?\n/.exec(log);
      if (match) resolveUrl(match[1]);
    }
    resolveUrl(null);
  })();
  const url = await listening;
  if (url === null) {
    await child.status;
    await drained;
    throw new Error(`Cannot start server: ${log}`);
  }
  let status: Promise<Deno.CommandStatus> | undefined;
  return {
    url,
    port: Number(new URL(url).port),
    pid: child.pid,
    log: () => log,
    stop(signal: Deno.Signal = "SIGTERM") {
      return status ??= (async () => {
        try {
          child.kill(signal);
        } catch {
          // already exited
        }
        const result = await child.status;
        await drained;
        return result;
      })();
    },
  };
}

/**
 * Opens a TCP connection to 127.0.0.1:`port`, writes `parts` (with `pauseMs`
 * between them), optionally half-closes or closes, and returns what the
 * server answered before it closed the connection or `waitMs` passed.
 */
export async function rawExchange(
  port: number,
  parts: (string | Uint8Array)[],
  options: { pauseMs?: number; end?: "keep" | "close"; waitMs?: number } = {},
): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const encoder = new TextEncoder();
  let answer = "";
  const decoder = new TextDecoder();
  const reading = (async () => {
    const buffer = new Uint8Array(16 * 1024);
    try {
      while (true) {
        const n = await conn.read(buffer);
        if (n === null) break;
        answer += decoder.decode(buffer.subarray(0, n), { stream: true });
      }
    } catch {
      // reset or closed by us
    }
  })();
  try {
    for (const [i, part] of parts.entries()) {
      if (i > 0 && options.pauseMs) await new Promise((r) => setTimeout(r, options.pauseMs));
      await conn.write(typeof part === "string" ? encoder.encode(part) : part);
    }
  } catch {
    // the server closed the connection first
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  const closeNow = () => {
    try {
      conn.close();
    } catch {
      // already closed
    }
  };
  if (options.end === "close") closeNow();
  else timer = setTimeout(closeNow, options.waitMs ?? 2000);
  await reading;
  clearTimeout(timer);
  closeNow();
  return answer;
}

/** Resident set size of a process in MiB (Linux `/proc`). */
export function rssMiB(pid: number): number {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  const match = /VmRSS:\s+(\d+) kB/.exec(status);
  return match ? Number(match[1]) / 1024 : NaN;
}
