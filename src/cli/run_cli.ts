/**
 * The command line as a function: arguments and injected I/O in, exit
 * status out.
 *
 * @module
 */
import type { CliCommand } from "./cli_command.ts";
import type { CliIo } from "./cli_io.ts";
import { type CliCommandEntry, cliCommands } from "./commands.ts";
import { UsageError } from "../args/usage_error.ts";
import { _HelpRequest } from "../args/_args.ts";
import { _isBrokenPipe } from "./_broken_pipe.ts";
import { _writeText } from "./_output.ts";

/** The version printed by `--version`. */
const _VERSION = "0.1.0";

/** The exit status of a process killed by SIGPIPE, as shells report it. */
const _EXIT_BROKEN_PIPE = 141;

function _mainUsage(commands: readonly CliCommand[]): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  const lines = commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return `Usage: bpfstream [--debug] COMMAND [OPTIONS] [ARGS]

Linux-exact classic BPF packet filtering of pcap/pcapng captures.

Commands:
${lines.join("\n")}

Options:
  --help, -h     this text ('bpfstream COMMAND --help' for a command's options)
  --version, -V  print the version
  --debug        print the stack trace of an error (also BPFSTREAM_DEBUG=1)

Exit status: 0 success, 1 bad data or rules (the message names the place),
2 bad usage; 141 when standard output is closed early (e.g. '| head').
`;
}

/** Every command, loaded (for the main usage, which lists their summaries). */
function _loadAll(entries: readonly CliCommandEntry[]): Promise<CliCommand[]> {
  return Promise.all(entries.map((entry) => entry.load()));
}

/** The usage of the command named `name`, or the main usage where there is none. */
async function _usageOf(entries: readonly CliCommandEntry[], name: string): Promise<string> {
  const entry = entries.find((e) => e.name === name);
  return entry ? (await entry.load()).usage : _mainUsage(await _loadAll(entries));
}

async function _say(stream: WritableStream<Uint8Array>, text: string): Promise<void> {
  try {
    await _writeText(stream, text);
  } catch {
    // Nowhere left to report to.
  }
}

/**
 * The message with control characters (C0, DEL, C1; a message quoting
 * binary input has them) written as `\xNN`, so that an error never moves
 * the cursor, rings the bell or switches the terminal's character set.
 */
export function _escapeControls(message: string): string {
  return message.replace(
    // deno-lint-ignore no-control-regex
    /[\u0000-\u001f\u007f-\u009f]/g,
    (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`,
  );
}

function _debugText(error: unknown): string {
  let text = "";
  for (let e = error, depth = 0; e !== undefined && depth < 8; depth++) {
    if (depth > 0) text += "Caused by: ";
    if (e instanceof Error) {
      text += (e.stack ?? `${e.name}: ${e.message}`) + "\n";
      e = e.cause;
    } else {
      text += String(e) + "\n";
      e = undefined;
    }
  }
  return text;
}

/**
 * Runs `bpfstream` with `args` (without the program name) on the injected
 * `io` and resolves to the exit status: 0 success, 1 data or rule error, 2
 * usage error, 141 when standard output was closed by its reader. Errors are
 * printed to `io.stderr` once, as `bpfstream: MESSAGE`, with the stack trace
 * only under `--debug` (anywhere before `--`) or `BPFSTREAM_DEBUG=1`.
 * Streams given in `io` are not closed (files opened through it are).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { runCli } from "./run_cli.ts";
 * const out: Uint8Array[] = [];
 * const status = await runCli(["compile", "-y", "RAW", "tcp"], {
 *   stdin: new ReadableStream({ start: (c) => c.close() }),
 *   stdout: new WritableStream({ write: (chunk) => void out.push(chunk) }),
 *   stderr: new WritableStream(),
 *   openRead: () => Promise.reject(new Error("no files")),
 *   readFile: () => Promise.reject(new Error("no files")),
 *   openWrite: () => Promise.reject(new Error("no files")),
 *   isTerminal: () => false,
 *   env: () => undefined,
 * });
 * assert.equal(status, 0);
 * const bytecode = new TextDecoder().decode(out[0]);
 * assert.equal(bytecode.split(",")[0], "15"); // instructions, as `tcpdump -y RAW -ddd tcp`
 * ```
 */
export async function runCli(args: string[], io: CliIo): Promise<number> {
  const end = args.indexOf("--");
  const head = end < 0 ? args : args.slice(0, end);
  const debug = head.includes("--debug") || io.env("BPFSTREAM_DEBUG") === "1";
  const rest = [...head.filter((a) => a !== "--debug"), ...(end < 0 ? [] : args.slice(end))];
  const commands = cliCommands;
  const name = rest[0];
  if (name === undefined) {
    await _say(io.stderr, _mainUsage(await _loadAll(commands)));
    return 2;
  }
  if (name === "--help" || name === "-h") {
    await _say(io.stdout, _mainUsage(await _loadAll(commands)));
    return 0;
  }
  if (name === "--version" || name === "-V") {
    await _say(io.stdout, `bpfstream ${_VERSION}\n`);
    return 0;
  }
  let command: CliCommand | undefined;
  try {
    if (name === "help") {
      const topic = rest[1];
      if (topic === undefined) {
        await _say(io.stdout, _mainUsage(await _loadAll(commands)));
        return 0;
      }
      if (!commands.some((c) => c.name === topic)) {
        throw new UsageError(`Cannot show help: unknown command '${topic}'`);
      }
      await _say(io.stdout, (await _usageOf(commands, topic)) + "\n");
      return 0;
    }
    const entry = commands.find((c) => c.name === name);
    if (!entry) {
      throw new UsageError(
        `Cannot run '${name}': unknown command (commands: ${
          commands.map((c) => c.name).join(", ")
        })`,
      );
    }
    command = await entry.load();
    if (rest.length === 2 && (rest[1] === "--help" || rest[1] === "-h")) {
      await _say(io.stdout, command.usage + "\n");
      return 0;
    }
    return await command.run(rest.slice(1), io);
  } catch (error) {
    if (error instanceof _HelpRequest) {
      await _say(io.stdout, (await _usageOf(commands, error.command)) + "\n");
      return 0;
    }
    if (_isBrokenPipe(error)) return _EXIT_BROKEN_PIPE;
    const message = _escapeControls(error instanceof Error ? error.message : String(error));
    let text = `bpfstream: ${message}\n`;
    if (error instanceof UsageError) {
      const which = error.command ?? command?.name;
      text += which ? `Try 'bpfstream ${which} --help'.\n` : "Try 'bpfstream --help'.\n";
    }
    if (debug) text += _debugText(error);
    await _say(io.stderr, text);
    return error instanceof UsageError ? 2 : 1;
  }
}
