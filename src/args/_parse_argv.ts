/**
 * Private: strict option parsing with the semantics of `node:util`'s
 * `parseArgs({ strict: true, allowPositionals: true })`, for the options the
 * subcommands declare. Importing any `node:` module starts Deno's Node
 * compatibility layer, about 6 ms on every start of the command line
 * (bench/RESULTS.md, issue 12); this file needs none. Tested against
 * `parseArgs` itself (`_parse_argv_test.ts`).
 *
 * @module
 */

/** One option's declaration, as `parseArgs` takes it. */
export interface _OptionSpec {
  type: "string" | "boolean";
  short?: string;
  multiple?: boolean;
}

/** Parsed values (absent options are absent) and positionals. */
export interface _Argv {
  values: Record<string, string | boolean | (string | boolean)[]>;
  positionals: string[];
}

/** A problem with the arguments; `message` reads like `parseArgs`' first sentence. */
export class _ArgvError extends TypeError {
  constructor(message: string) {
    super(message);
    this.name = "ArgvError";
  }
}

function _optionLike(value: string): boolean {
  return value.length > 1 && value[0] === "-";
}

function _store(
  values: _Argv["values"],
  name: string,
  spec: _OptionSpec,
  value: string | boolean,
): void {
  if (!spec.multiple) {
    values[name] = value;
    return;
  }
  const list = values[name];
  if (Array.isArray(list)) list.push(value);
  else values[name] = [value];
}

/** The long name of short option `letter`, or throws for an unknown one. */
function _longOf(options: Record<string, _OptionSpec>, letter: string): string {
  for (const [name, spec] of Object.entries(options)) {
    if (spec.short === letter) return name;
  }
  throw new _ArgvError(`Unknown option '-${letter}'`);
}

/**
 * `-abc` as `-a -b -c` when its first letter is a boolean option; a string
 * option in the group takes the rest of it as its value (`-abfFILE` is
 * `-a -b -fFILE`), or the next argument when it comes last.
 */
function _expandGroup(arg: string, options: Record<string, _OptionSpec>): string[] {
  const expanded: string[] = [];
  for (let at = 1; at < arg.length; at++) {
    const letter = arg[at];
    if (options[_longOf(options, letter)].type !== "string" || at === arg.length - 1) {
      expanded.push(`-${letter}`);
    } else {
      expanded.push(`-${arg.slice(at)}`);
      break;
    }
  }
  return expanded;
}

/**
 * Parses `args` against `options` strictly: unknown options, a string
 * option without its value (or with one that looks like an option) and a
 * boolean option given a value all throw an {@linkcode _ArgvError}.
 */
export function _parseArgv(args: readonly string[], options: Record<string, _OptionSpec>): _Argv {
  const values: _Argv["values"] = Object.create(null);
  const positionals: string[] = [];
  const queue = [...args];
  for (let i = 0; i < queue.length; i++) {
    const arg = queue[i];
    if (arg === "--") {
      positionals.push(...queue.slice(i + 1));
      break;
    }
    if (!_optionLike(arg)) {
      positionals.push(arg);
      continue;
    }
    let name: string;
    let inline: string | undefined;
    let shown: string;
    if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
      inline = eq < 0 ? undefined : arg.slice(eq + 1);
      shown = `--${name}`;
      if (!Object.hasOwn(options, name)) throw new _ArgvError(`Unknown option '${shown}'`);
    } else {
      name = _longOf(options, arg[1]);
      shown = `-${arg[1]}`;
      if (arg.length > 2) {
        if (options[name].type !== "string") {
          queue.splice(i, 1, ..._expandGroup(arg, options));
          i--;
          continue;
        }
        inline = arg.slice(2);
      }
    }
    const spec = options[name];
    if (spec.type === "boolean") {
      if (inline !== undefined) throw new _ArgvError(`Option '${shown}' does not take an argument`);
      _store(values, name, spec, true);
      continue;
    }
    if (inline === undefined) {
      const next = queue[i + 1];
      if (next === undefined) throw new _ArgvError(`Option '${shown} <value>' argument missing`);
      if (_optionLike(next)) {
        throw new _ArgvError(`Option '${shown} <value>' argument is ambiguous`);
      }
      inline = next;
      i++;
    }
    _store(values, name, spec, inline);
  }
  return { values, positionals };
}
