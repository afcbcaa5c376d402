/**
 * Private: the strict option parser of the command line, Node's
 * `util.parseArgs` as `_parseOptions` (./_args.ts) calls it (`strict: true`,
 * `allowPositionals: true`, string and boolean options, `short`, `multiple`;
 * no defaults, no negation, no tokens), with its results and its messages.
 *
 * Why not `node:util`: loading Deno's Node compatibility for it cost every
 * command about 10 ms of wall time and 7 ms of CPU at start-up (a script
 * importing it against an empty one; bench/RESULTS.md, issue 11, session 15).
 * `_parse_args_test.ts` compares this parser with `node:util`'s on random
 * argument lists.
 *
 * @module
 */

/** One option's declaration (as `parseArgs` takes it). */
export interface _ArgSpec {
  type: "string" | "boolean";
  short?: string;
  multiple?: boolean;
}

/** Options by name, their values (null prototype, as `parseArgs`'s) and the positionals. */
export interface _ParsedArgs {
  values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  positionals: string[];
}

/** A problem with the arguments, with `parseArgs`'s message for it. */
export class _ParseArgsError extends TypeError {
  constructor(message: string) {
    super(message);
    this.name = "ParseArgsError";
  }
}

/** An option as found in the arguments: its name, how it was written, its value if any. */
interface _OptionToken {
  name: string;
  rawName: string;
  value: string | undefined;
  inlineValue: boolean;
}

/**
 * `args` parsed against `options` as Node's `parseArgs({ args, options,
 * strict: true, allowPositionals: true })` parses them: the same values and
 * positionals, or a {@linkcode _ParseArgsError} with the same message.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { _parseArgs } from "./_parse_args.ts";
 * const { values, positionals } = _parseArgs(["-dd", "--rules=a.rules", "in.pcap"], {
 *   d: { type: "boolean", short: "d", multiple: true },
 *   rules: { type: "string" },
 * });
 * assert.deepEqual({ ...values }, { d: [true, true], rules: "a.rules" });
 * assert.deepEqual(positionals, ["in.pcap"]);
 * assert.throws(() => _parseArgs(["--rules"], { rules: { type: "string" } }), {
 *   message: "Option '--rules <value>' argument missing",
 * });
 * ```
 */
export function _parseArgs(
  args: readonly string[],
  options: Record<string, _ArgSpec>,
): _ParsedArgs {
  const values: _ParsedArgs["values"] = Object.create(null);
  const positionals: string[] = [];
  const remaining = args.slice();
  while (remaining.length > 0) {
    const arg = remaining.shift()!;
    if (arg === "--") {
      positionals.push(...remaining);
      break;
    }
    const token = _optionToken(arg, remaining, options);
    if (token === undefined) positionals.push(arg);
    else if (token !== null) _store(_checked(token, options), options, values);
  }
  return { values, positionals };
}

/**
 * The option `arg` writes (taking its value from `remaining` where it is the
 * next argument), null where `arg` was a group of short options put back
 * into `remaining` one by one, or undefined for a positional.
 */
function _optionToken(
  arg: string,
  remaining: string[],
  options: Record<string, _ArgSpec>,
): _OptionToken | null | undefined {
  if (arg.length < 2 || arg[0] !== "-") return undefined;
  if (arg[1] !== "-") {
    const name = _longFor(arg[1], options);
    if (arg.length === 2) {
      const value = _typeOf(options, name) === "string" && remaining.length > 0
        ? remaining.shift()
        : undefined;
      return { name, rawName: arg, value, inlineValue: false };
    }
    if (_typeOf(options, name) === "string") {
      return { name, rawName: `-${arg[1]}`, value: arg.slice(2), inlineValue: true };
    }
    remaining.unshift(..._expandedGroup(arg, options));
    return null;
  }
  if (arg.length === 2) return undefined;
  if (arg.indexOf("=", 3) < 0) {
    const name = arg.slice(2);
    const value = _typeOf(options, name) === "string" && remaining.length > 0
      ? remaining.shift()
      : undefined;
    return { name, rawName: arg, value, inlineValue: false };
  }
  // The name ends at the first "=" (`--=a=b` names "", as parseArgs reads it).
  const equals = arg.indexOf("=");
  const name = arg.slice(2, equals);
  return { name, rawName: `--${name}`, value: arg.slice(equals + 1), inlineValue: true };
}

/** `-abfFILE` as `-a -b -fFILE`: booleans one by one, a string option with the rest. */
function _expandedGroup(arg: string, options: Record<string, _ArgSpec>): string[] {
  const expanded: string[] = [];
  for (let i = 1; i < arg.length; i++) {
    const short = arg[i];
    if (_typeOf(options, _longFor(short, options)) !== "string" || i === arg.length - 1) {
      expanded.push(`-${short}`);
    } else {
      expanded.push(`-${arg.slice(i)}`);
      break;
    }
  }
  return expanded;
}

/** `token` if it is a declared option used as declared; else `parseArgs`'s error. */
function _checked(token: _OptionToken, options: Record<string, _ArgSpec>): _OptionToken {
  if (!Object.hasOwn(options, token.name)) {
    throw new _ParseArgsError(
      `Unknown option '${token.rawName}'. To specify a positional argument starting with a '-', place it at the end of the command after '--', as in '-- ${
        JSON.stringify(token.rawName)
      }`,
    );
  }
  const short = options[token.name].short;
  const shortAndLong = `${short ? `-${short}, ` : ""}--${token.name}`;
  const type = options[token.name].type;
  if (type === "string" && token.value === undefined) {
    throw new _ParseArgsError(`Option '${shortAndLong} <value>' argument missing`);
  }
  if (type === "boolean" && token.value !== undefined) {
    throw new _ParseArgsError(`Option '${shortAndLong}' does not take an argument`);
  }
  const value = token.value;
  if (!token.inlineValue && value !== undefined && value.length > 1 && value[0] === "-") {
    const example = token.rawName.startsWith("--")
      ? `'${token.rawName}=-XYZ'`
      : `'--${token.name}=-XYZ' or '${token.rawName}-XYZ'`;
    throw new _ParseArgsError(
      `Option '${token.rawName}' argument is ambiguous.
Did you forget to specify the option argument for '${token.rawName}'?
To specify an option argument starting with a dash use ${example}.`,
    );
  }
  return token;
}

/** Records `token`'s value (true for a boolean), appended for a `multiple` option. */
function _store(
  token: _OptionToken,
  options: Record<string, _ArgSpec>,
  values: _ParsedArgs["values"],
): void {
  if (token.name === "__proto__") return;
  const value = token.value ?? true;
  if (options[token.name].multiple) {
    const list = values[token.name];
    if (list === undefined) values[token.name] = [value];
    else (list as (string | boolean)[]).push(value);
  } else {
    values[token.name] = value;
  }
}

/** The option whose `short` is `short`, else `short` itself (an unknown option). */
function _longFor(short: string, options: Record<string, _ArgSpec>): string {
  for (const name of Object.keys(options)) {
    if (options[name].short === short) return name;
  }
  return short;
}

/** The declared type of option `name`, if it is declared. */
function _typeOf(options: Record<string, _ArgSpec>, name: string): string | undefined {
  return Object.hasOwn(options, name) ? options[name].type : undefined;
}
