/**
 * Option parsing shared by the subcommands: `node:util`'s strict parseArgs,
 * as ./_parse_args.ts reproduces it (loading `node:util` cost every command
 * ~10 ms at start-up; `@std/cli` cannot be fetched here).
 *
 * @module
 */
import { type _ArgSpec, _parseArgs, type _ParsedArgs } from "./_parse_args.ts";
import { UsageError } from "./usage_error.ts";

/** Thrown by {@linkcode _parseOptions} for `--help`: `runCli` prints the usage. */
export class _HelpRequest extends Error {
  readonly command: string;
  constructor(command: string) {
    super(`help for ${command}`);
    this.name = "HelpRequest";
    this.command = command;
  }
}

/** One option's declaration, as `parseArgs` takes it. */
export type _OptionSpec = _ArgSpec;

/** What {@linkcode _parseOptions} returns: the values (null prototype) and the positionals. */
export type _Parsed = _ParsedArgs;

/**
 * Parses `args` strictly; every problem becomes a {@linkcode UsageError}
 * naming the subcommand. `--help`/`-h` is always declared.
 */
export function _parseOptions(
  command: string,
  args: string[],
  options: Record<string, _OptionSpec>,
): _Parsed {
  try {
    const { values, positionals } = _parseArgs(args, {
      help: { type: "boolean", short: "h" },
      ...options,
    });
    if (values.help === true) throw new _HelpRequest(command);
    return { values, positionals };
  } catch (error) {
    if (error instanceof _HelpRequest) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    // parseArgs's messages are long; keep their first sentence.
    throw new UsageError(
      `Cannot run ${command}: ${reason.split(". ")[0].replace(/\.$/, "")}`,
      command,
    );
  }
}

/** A string option's value (the last one given), or `undefined`. */
export function _string(parsed: _Parsed, name: string): string | undefined {
  const value = parsed.values[name];
  if (Array.isArray(value)) return value.length ? String(value[value.length - 1]) : undefined;
  return typeof value === "string" ? value : undefined;
}

/** Whether a boolean option was given. */
export function _flag(parsed: _Parsed, name: string): boolean {
  const value = parsed.values[name];
  return Array.isArray(value) ? value.length > 0 : value === true;
}

/** How many times a boolean option was given (`-ddd` is 3). */
export function _count(parsed: _Parsed, name: string): number {
  const value = parsed.values[name];
  if (Array.isArray(value)) return value.length;
  return value === true ? 1 : 0;
}

/** `--base link|network` (default `network`, as iptables' xt_bpf). */
export function _base(parsed: _Parsed, command: string): "link" | "network" {
  const value = _string(parsed, "base") ?? "network";
  if (value !== "link" && value !== "network") {
    throw new UsageError(
      `Cannot run ${command}: option '--base' must be 'link' or 'network' (got '${value}')`,
      command,
    );
  }
  return value;
}

/** A decimal integer option within `[min, max]`, or `fallback` when absent. */
export function _integer<F extends number | undefined>(
  parsed: _Parsed,
  name: string,
  command: string,
  min: number,
  max: number,
  fallback: F,
): number | F {
  const text = _string(parsed, name);
  if (text === undefined) return fallback;
  const value = /^[0-9]+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new UsageError(
      `Cannot run ${command}: option '${
        name.length === 1 ? "-" : "--"
      }${name}' must be an integer from ${min} to ${max} (got '${text}')`,
      command,
    );
  }
  return value;
}

/** Throws a {@linkcode UsageError} for any positional argument (`hint` is appended). */
export function _noPositionals(parsed: _Parsed, command: string, hint = ""): void {
  if (parsed.positionals.length === 0) return;
  throw new UsageError(
    `Cannot run ${command}: unexpected argument '${parsed.positionals[0]}'${hint}`,
    command,
  );
}

/** At most one positional argument (the input file, `-` for stdin). */
export function _inputPath(parsed: _Parsed, command: string): string {
  if (parsed.positionals.length > 1) {
    throw new UsageError(
      `Cannot run ${command}: expected at most one input file (got ${
        parsed.positionals.map((p) => `'${p}'`).join(", ")
      })`,
      command,
    );
  }
  return parsed.positionals[0] ?? "-";
}

/**
 * `--strategy closure|source|interpret`: how programs run; `undefined` when
 * not given (the measured default: what `compile()` picks for this runtime).
 */
export function _strategy(
  parsed: _Parsed,
  command: string,
): "closure" | "source" | "interpret" | undefined;
export function _strategy(
  parsed: _Parsed,
  command: string,
  wasm: true,
): "closure" | "source" | "interpret" | "wasm" | undefined;
export function _strategy(
  parsed: _Parsed,
  command: string,
  wasm = false,
): "closure" | "source" | "interpret" | "wasm" | undefined {
  const value = _string(parsed, "strategy");
  if (value === undefined) return undefined;
  if (value === "wasm" && wasm) return value;
  if (value !== "closure" && value !== "source" && value !== "interpret") {
    throw new UsageError(
      `Cannot run ${command}: option '--strategy' must be 'closure', 'source'${
        wasm ? ", 'interpret' or 'wasm'" : " or 'interpret'"
      } (got '${value}')`,
      command,
    );
  }
  return value;
}
