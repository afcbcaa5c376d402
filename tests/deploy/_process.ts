/**
 * Test helpers for the deployment tests: free ports, child processes that are
 * ready once a line appears on their output, and the CLI's own output as the
 * oracle for the service's.
 */
import { fileURLToPath } from "node:url";

/** Absolute path of the repository (with a trailing slash). */
export const ROOT: string = fileURLToPath(new URL("../../", import.meta.url));

/** A loopback TCP port that was free a moment ago. */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** A running child process whose stdout and stderr are collected. */
export interface Child {
  /** Everything printed so far (stdout and stderr interleaved by arrival). */
  log(): string;
  /** Resolves when `pattern` matches the output (with the match), or rejects when the child exits first. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  /** Stops the child (SIGTERM, then SIGKILL after 5 s) and waits for it. */
  stop(): Promise<void>;
  /** The exit status once it ended. */
  status: Promise<Deno.CommandStatus>;
}

/** Spawns `command args` with output collected. */
export function spawn(
  command: string,
  args: string[],
  options: { cwd?: string; env?: Record<string, string>; clearEnv?: boolean } = {},
): Child {
  const child = new Deno.Command(command, {
    args,
    cwd: options.cwd,
    clearEnv: options.clearEnv,
    env: { NO_COLOR: "1", ...(options.clearEnv ? _baseEnv() : {}), ...options.env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let log = "";
  let changed: () => void = () => {};
  const decoder = new TextDecoder();
  const drain = async (stream: ReadableStream<Uint8Array>) => {
    for await (const chunk of stream) {
      log += decoder.decode(chunk, { stream: true });
      changed();
    }
  };
  const drained = Promise.all([drain(child.stdout), drain(child.stderr)]);
  let exited = false;
  const status = child.status.then(async (s) => {
    await drained;
    exited = true;
    changed();
    return s;
  });
  return {
    log: () => log,
    status,
    async waitFor(pattern, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      while (true) {
        const match = pattern.exec(log);
        if (match) return match;
        if (exited) throw new Error(`process ended before ${pattern}:\n${log}`);
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern}:\n${log}`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, 200);
          changed = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
    },
    async stop() {
      if (!exited) {
        try {
          child.kill("SIGTERM");
        } catch { /* already gone */ }
        const timer = setTimeout(() => {
          try {
            child.kill("SIGKILL");
          } catch { /* already gone */ }
        }, 5000);
        await status;
        clearTimeout(timer);
      }
    },
  };
}

/** PATH, HOME and DENO_DIR of this process: what a child with a cleared environment keeps. */
function _baseEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of ["PATH", "HOME", "DENO_DIR", "TMPDIR"]) {
    const value = Deno.env.get(name);
    if (value !== undefined) env[name] = value;
  }
  return env;
}

/** Runs the Deno CLI `filter --keep-format --rules RULES CAPTURE` and returns its stdout (the oracle). */
export async function cliFilter(rulesPath: string, capturePath: string): Promise<Uint8Array> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--config",
      ROOT + "deno.json",
      ROOT + "src/cli/main.ts",
      "filter",
      // The input's format kept, as the servers keep it.
      "--keep-format",
      "--rules",
      rulesPath,
      capturePath,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!output.success) throw new Error(new TextDecoder().decode(output.stderr));
  return output.stdout;
}

/** Polls `url` until it answers (any status). */
export async function waitForHttp(url: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (true) {
    try {
      const response = await fetch(url);
      await response.body?.cancel();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}
