/**
 * Parsing of `iptables-save` text into a {@linkcode RuleSet}.
 *
 * @module
 */
import { parseBytecode } from "../bpf/parse_bytecode.ts";
import type { Instruction } from "../bpf/instruction.ts";
import { validate } from "../bpf/validate.ts";
import { BpfSyntaxError, BpfValidationError } from "../bpf/errors.ts";
import { _unoptimisedPacked, _validateCached } from "./_expression_programs.ts";
import { compileFilter } from "../filter/compile_filter.ts";
import { _parsedU32 } from "./_u32_texts.ts";
import { U32SyntaxError } from "../u32/u32_syntax_error.ts";
import { LINKTYPE_ETHERNET, LINKTYPE_RAW } from "../capture/link_types.ts";
import type {
  BpfMatch,
  Chain,
  CommentMatch,
  Match,
  PacketCounter,
  Rule,
  RuleBase,
  RuleSet,
  U32Match,
} from "./rule_set.ts";
import { RuleSetError } from "./rule_set_error.ts";
import { _formatAddress, _parseNetwork, _parseProtocol } from "./_ip.ts";
import { _findChainProblem } from "./_check_chains.ts";
// BPF instructions, made here by the thousand, with their `k` tagged (see the module).
import "../bpf/_tagged_fields.ts";

/**
 * Options of {@linkcode parseRuleSet}.
 *
 * @example
 * ```ts
 * import { parseRuleSet, type ParseRuleSetOptions } from "./parse_rule_set.ts";
 * import { RuleSetError } from "./rule_set_error.ts";
 * import assert from "node:assert/strict";
 * const text = `*raw
 * :PREROUTING ACCEPT [0:0]
 * -A PREROUTING -m bpf --bytecode "2,6 0 0 0,6 0 0 0" -j DROP
 * COMMIT
 * *filter
 * :INPUT ACCEPT [0:0]
 * COMMIT
 * `;
 * assert.equal(parseRuleSet(text).table, "filter");
 * const options: ParseRuleSetOptions = { table: "raw" };
 * assert.equal(parseRuleSet(text, options).chains[0].name, "PREROUTING");
 * assert.throws(() => parseRuleSet(text, { table: "raw", maxInstructions: 1 }), RuleSetError);
 * ```
 */
export interface ParseRuleSetOptions {
  /**
   * Which table of a multi-table `iptables-save` text to read; the others
   * are skipped unread.
   *
   * @default {"filter" when present, else the first table}
   */
  table?: string;
  /**
   * Largest `--bytecode` program accepted (xt_bpf's `XT_BPF_MAX_NUM_INSTR` is
   * 64; at most 4096, the kernel's `BPF_MAXINSNS`). `--expr` programs may
   * always have up to 4096.
   *
   * @default {64}
   */
  maxInstructions?: number;
  /**
   * LINKTYPE_ value for which link-base `--expr` matches are test-compiled
   * while parsing (they are compiled again for each frame's link type when
   * used).
   *
   * @default {1}
   */
  linkType?: number;
}

/** The kernel's xt_bpf limit (`XT_BPF_MAX_NUM_INSTR`). */
const _XT_BPF_MAX_NUM_INSTR = 64;
/** The kernel's `BPF_MAXINSNS`. */
const _BPF_MAXINSNS = 4096;
/** `XT_EXTENSION_MAXNAMELEN - 1`: the longest chain name. */
const _MAX_CHAIN_NAME = 28;
/** `IFNAMSIZ - 1`. */
const _MAX_INTERFACE_NAME = 15;
/** xt_comment's `XT_MAX_COMMENT_LEN - 1`. */
const _MAX_COMMENT = 255;

/** One argument of a rule-file line (private: exported for the tokenizer's tests). */
export interface _Token {
  /** The argument after unquoting. */
  text: string;
  /** 1-based column of the token's first character (the quote, if quoted). */
  column: number;
  /** 1-based column of the first character of the value. */
  valueColumn: number;
  /** Whether any part was quoted. */
  quoted: boolean;
}

function _fail(reason: string, line: number, column: number, cause?: unknown): never {
  throw new RuleSetError(
    `Cannot parse rule set: ${reason} at line ${line}, column ${column}`,
    line,
    column,
    cause === undefined ? undefined : { cause },
  );
}

/**
 * Splits one line into arguments as iptables-restore's `add_param_to_argv`
 * does: blanks separate arguments; `"` opens a quoted part in which `\x`
 * stands for `x`; a closing `"` ends the argument; `'` and `\` outside quotes
 * are ordinary characters. Private: exported for its tests.
 */
export function _tokenize(line: string, lineNumber: number, from: number): _Token[] {
  const tokens: _Token[] = [];
  const end = line.length;
  let text = "";
  let column = 0;
  let valueColumn = 0;
  let inQuote = false;
  let quoted = false;
  let quoteColumn = 0;
  let started = false;
  // The next quote and backslash at or after the last search (the line's length: none left),
  // searched again only once passed: each character is searched over at most once.
  let nextQuote = -1;
  let nextBackslash = -1;
  const emit = () => {
    tokens.push({ text, column, valueColumn, quoted });
    text = "";
    started = false;
    quoted = false;
  };
  // Runs of ordinary characters are sliced whole (not added one by one), their ends found by
  // the string's own searches: a rule file is read once, by code V8 has not optimised yet.
  for (let i = from; i < end;) {
    const c = line.charCodeAt(i);
    if (inQuote) {
      if (nextQuote < i) nextQuote = _indexOrEnd(line, '"', i);
      if (nextBackslash < i) nextBackslash = _indexOrEnd(line, "\\", i);
      const j = nextQuote < nextBackslash ? nextQuote : nextBackslash;
      if (j > i) text += line.slice(i, j);
      if (j >= end) break;
      if (line.charCodeAt(j) === _BACKSLASH) {
        if (j + 1 >= end) break;
        text += line[j + 1];
        i = j + 2;
      } else {
        inQuote = false;
        emit();
        i = j + 1;
      }
      continue;
    }
    if (c === _QUOTE) {
      if (!started) {
        started = true;
        column = i + 1;
        valueColumn = i + 2;
      }
      inQuote = true;
      quoted = true;
      quoteColumn = i + 1;
      i++;
    } else if (c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a) {
      // A blank (space, tab, carriage return, line feed) separates arguments.
      if (started) emit();
      i++;
    } else {
      if (!started) {
        started = true;
        column = i + 1;
        valueColumn = i + 1;
      }
      _PLAIN_RUN.lastIndex = i;
      _PLAIN_RUN.test(line);
      const j = _PLAIN_RUN.lastIndex;
      text += line.slice(i, j);
      i = j;
    }
  }
  if (inQuote) _fail("unterminated quote", lineNumber, quoteColumn);
  if (started) emit();
  return tokens;
}

const _QUOTE = 0x22;
const _BACKSLASH = 0x5c;

/** A run of characters that are neither blank nor a quote (sticky: matched at `lastIndex`). */
const _PLAIN_RUN = /[^ \t\r\n"]+/y;

/** Where `character` next occurs in `line` from `i` on, or the line's length. */
function _indexOrEnd(line: string, character: string, i: number): number {
  const at = line.indexOf(character, i);
  return at < 0 ? line.length : at;
}

function _parseCounters(text: string, line: number, column: number): PacketCounter {
  const match = /^\[([0-9]+):([0-9]+)\]$/.exec(text);
  if (!match) _fail(`counters "${text}" are not of the form [packets:bytes]`, line, column);
  return _counterPair(match[1], match[2], line, column);
}

function _counterPair(p: string, b: string, line: number, column: number): PacketCounter {
  const packets = Number(p);
  const bytes = Number(b);
  if (!/^[0-9]+$/.test(p) || !/^[0-9]+$/.test(b)) {
    _fail(`counters "${p} ${b}" are not decimal numbers`, line, column);
  }
  if (!Number.isSafeInteger(packets) || !Number.isSafeInteger(bytes)) {
    _fail(`counters "${p}:${b}" are too large`, line, column);
  }
  return { packets, bytes };
}

function _checkChainName(name: string, line: number, column: number): void {
  if (name.length === 0 || name.length > _MAX_CHAIN_NAME) {
    _fail(`chain name "${name}" must have 1 to ${_MAX_CHAIN_NAME} characters`, line, column);
  }
  if (name.startsWith("-") || name.startsWith("!")) {
    _fail(`chain name "${name}" may not start with "${name[0]}"`, line, column);
  }
  if (/[\s"]/.test(name)) _fail(`chain name "${name}" contains a blank or quote`, line, column);
  if (name === "ACCEPT" || name === "DROP" || name === "RETURN") {
    _fail(`chain name "${name}" is a built-in target`, line, column);
  }
}

/** Where each rule and chain came from, for errors found at `COMMIT`. */
interface _Places {
  chains: Map<string, number>;
  targets: Map<Rule, { line: number; column: number }>;
}

interface _TableState {
  name: string;
  line: number;
  chains: Chain[];
  byName: Map<string, Chain>;
  places: _Places;
}

interface _Context {
  maxInstructions: number;
  linkType: number;
  /**
   * What repeated arguments gave the first time, by their text (rule sets
   * repeat most of their programs and many addresses): at most one entry per
   * distinct argument of the text.
   */
  seen: _Seen;
}

/** See {@linkcode _Context.seen}. */
interface _Seen {
  /**
   * `--bytecode` texts and their validated programs: the first rule's own
   * (nothing changes it while the parse runs), later rules get copies.
   */
  programs: Map<string, Instruction[]>;
  /** `--u32` texts, and `--expr` texts with their base, that passed their checks. */
  checked: Set<string>;
  /** `-s`/`-d` texts: the canonical address and prefix, or why not. */
  networks: Map<string, { address: string; prefixLength: number } | string>;
}

const _BUILT_IN_TARGETS = new Set(["ACCEPT", "DROP", "RETURN"]);

/**
 * Parses the lines of `iptables-save` (or `iptables-save -c`) for one table
 * into a {@linkcode RuleSet}, so that real `iptables-save` output with `bpf`
 * and `u32` rules can be pasted.
 *
 * Lines: `*table`, `:CHAIN POLICY [packets:bytes]` (`-` as the policy of a
 * user chain), `-N CHAIN`, `-P CHAIN POLICY`, `[packets:bytes] -A CHAIN ...`,
 * `COMMIT`, `#` comments and blank lines. Arguments are split and unquoted as
 * `iptables-restore` does (double quotes, `\` escapes inside them). A text
 * without any `*table` line is read as the `filter` table with the built-in
 * chains INPUT, FORWARD and OUTPUT (policy ACCEPT) and needs no `COMMIT`.
 *
 * Rule options: `-s`/`-d` (IPv4/IPv6 address with prefix or mask), `-p`
 * (name or number), `-i`/`-o` (`+` wildcard), each invertible with a leading
 * `!`; `-m bpf [!] --bytecode "N,c t f k,..."`; `-m bpf [!] --expr "EXPR"`
 * (pcap-filter, our extension); `-m u32 [!] --u32 "..."`;
 * `-m comment --comment "..."`; `--base link|network` (our extension, rule
 * level); `-j ACCEPT|DROP|RETURN|CHAIN`, `-g CHAIN`; `-c packets bytes`.
 * Anything else is a {@linkcode RuleSetError} naming its line and column, as
 * are unknown chains, jumps that form a loop, a missing `COMMIT` and programs
 * the kernel would refuse (`--bytecode` longer than `maxInstructions`).
 *
 * @example
 * ```ts
 * import { parseRuleSet } from "./parse_rule_set.ts";
 * import assert from "node:assert/strict";
 * const ruleSet = parseRuleSet(`*filter
 * :INPUT ACCEPT [0:0]
 * -A INPUT -m bpf --bytecode "4,48 0 0 9,21 0 1 6,6 0 0 1,6 0 0 0" -j DROP
 * COMMIT
 * `);
 * assert.equal(ruleSet.chains[0].rules[0].target, "DROP");
 * ```
 */
export function parseRuleSet(text: string, options?: ParseRuleSetOptions): RuleSet {
  const parser = _createRuleSetParser(text, options);
  parser.parseLines(parser.lineCount);
  return parser.finish();
}

/**
 * A {@linkcode parseRuleSet} that runs line by line, so that a caller can
 * spread a long text over several turns of the event loop
 * (`parseRuleSetAsync`): `parseLines(n)` reads up to `n` more lines,
 * `finish()` checks the end and returns the rule set.
 */
export interface _RuleSetParser {
  /** Lines of the text. */
  readonly lineCount: number;
  /** Lines read so far. */
  readonly linesRead: number;
  /** Reads up to `count` more lines; throws {@linkcode RuleSetError}. */
  parseLines(count: number): void;
  /** After the last line: the rule set, or a {@linkcode RuleSetError}. */
  finish(): RuleSet;
}

/** Starts a line-by-line parse of `text`; see {@linkcode _RuleSetParser}. */
export function _createRuleSetParser(
  text: string,
  options?: ParseRuleSetOptions,
): _RuleSetParser {
  const maxInstructions = options?.maxInstructions ?? _XT_BPF_MAX_NUM_INSTR;
  if (
    !Number.isInteger(maxInstructions) || maxInstructions < 1 || maxInstructions > _BPF_MAXINSNS
  ) {
    throw new RangeError(
      `Cannot parse rule set: maxInstructions must be an integer from 1 to ${_BPF_MAXINSNS} (got ${maxInstructions})`,
    );
  }
  const context: _Context = {
    maxInstructions,
    linkType: options?.linkType ?? LINKTYPE_ETHERNET,
    seen: { programs: new Map(), checked: new Set(), networks: new Map() },
  };
  const lines = text.split("\n");
  // Which table to read.
  const tableNames: string[] = [];
  for (const line of lines) {
    // A line whose first non-blank is printable ASCII other than `*` names no
    // table: most lines are rules, not trimmed here.
    const c = line.charCodeAt(_firstNonBlank(line));
    if (c !== 0x2a /* * */ && c > 0x20 && c < 0x7f) continue;
    const trimmed = line.trim();
    if (trimmed.startsWith("*")) tableNames.push(trimmed.slice(1).trim());
  }
  let wanted: string | undefined;
  if (tableNames.length > 0) {
    wanted = options?.table ?? (tableNames.includes("filter") ? "filter" : tableNames[0]);
    if (!tableNames.includes(wanted)) {
      _fail(`table "${wanted}" is not in the text (tables: ${tableNames.join(", ")})`, 1, 1);
    }
  }
  let state: _TableState | undefined;
  let skipping = false;
  let result: RuleSet | undefined;
  if (wanted === undefined) {
    state = _newTable("filter", 0);
    for (const name of ["INPUT", "FORWARD", "OUTPUT"]) {
      const chain: Chain = { name, policy: "ACCEPT", rules: [] };
      state.chains.push(chain);
      state.byName.set(name, chain);
    }
  }
  let lastLine = 1;
  let index = 0;
  const parseLine = (lineNumber: number, line: string) => {
    const start = _firstNonBlank(line);
    if (start < 0 || line.charCodeAt(start) === 0x23 /* # */) return;
    lastLine = lineNumber;
    const column = start + 1;
    if (line[start] === "*") {
      if (state && wanted !== undefined) {
        _fail(`"COMMIT" expected before a new table`, lineNumber, column);
      }
      if (skipping) _fail(`"COMMIT" expected before a new table`, lineNumber, column);
      const name = line.slice(start + 1).trim();
      if (name === "" || /\s/.test(name)) {
        _fail(`table name "${name}" is not valid`, lineNumber, column + 1);
      }
      if (name === wanted && result === undefined) state = _newTable(name, lineNumber);
      else skipping = true;
      return;
    }
    if (skipping) {
      if (_isCommit(line, start)) skipping = false;
      return;
    }
    if (!state) _fail(`a "*table" line is expected first`, lineNumber, column);
    if (_isCommit(line, start)) {
      if (wanted === undefined) _fail(`"COMMIT" without a "*table" line`, lineNumber, column);
      result = _finishTable(state);
      state = undefined;
      return;
    }
    if (line[start] === ":") {
      _parseChainLine(state, line, lineNumber, start);
      return;
    }
    _parseCommand(state, context, _tokenize(line, lineNumber, start), lineNumber, line.length);
  };
  return {
    lineCount: lines.length,
    get linesRead() {
      return index;
    },
    parseLines(count) {
      const end = Math.min(lines.length, index + count);
      for (; index < end; index++) parseLine(index + 1, lines[index]);
    },
    finish() {
      if (index < lines.length) {
        throw new RangeError(
          `Cannot finish rule set: ${lines.length - index} of ${lines.length} lines are not read`,
        );
      }
      if (state) {
        if (wanted !== undefined) {
          _fail(`"COMMIT" expected at the end of table "${state.name}"`, lastLine + 0, 1);
        }
        result = _finishTable(state);
        state = undefined;
      }
      if (skipping) _fail(`"COMMIT" expected at the end of the text`, lastLine, 1);
      return result!;
    },
  };
}

/** Index of `line`'s first character other than space, tab or carriage return; -1 if none. */
function _firstNonBlank(line: string): number {
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c !== 0x20 && c !== 0x09 && c !== 0x0d) return i;
  }
  return -1;
}

/**
 * Whether `line.trim()` is `COMMIT` (`start`: `_firstNonBlank(line)`). A line
 * whose first non-blank is a printable ASCII character other than `C` is not,
 * without trimming it (a rule line).
 */
function _isCommit(line: string, start: number): boolean {
  const c = line.charCodeAt(start);
  if (c !== 0x43 /* C */ && c > 0x20 && c < 0x7f) return false;
  return line.trim() === "COMMIT";
}

function _newTable(name: string, line: number): _TableState {
  return {
    name,
    line,
    chains: [],
    byName: new Map(),
    places: { chains: new Map(), targets: new Map() },
  };
}

function _addChain(state: _TableState, chain: Chain, line: number, column: number): void {
  if (state.byName.has(chain.name)) _fail(`chain "${chain.name}" already exists`, line, column);
  state.chains.push(chain);
  state.byName.set(chain.name, chain);
  state.places.chains.set(chain.name, line);
}

function _parseChainLine(
  state: _TableState,
  line: string,
  lineNumber: number,
  start: number,
): void {
  const tokens = _tokenize(line, lineNumber, start + 1);
  if (tokens.length === 0) _fail('chain name expected after ":"', lineNumber, start + 2);
  const [name, policy, counters] = tokens;
  if (tokens.length > 3) _fail(`unexpected "${tokens[3].text}"`, lineNumber, tokens[3].column);
  _checkChainName(name.text, lineNumber, name.column);
  if (!policy) _fail(`policy expected after chain "${name.text}"`, lineNumber, line.length + 1);
  let chainPolicy: Chain["policy"];
  if (policy.text === "-") chainPolicy = null;
  else if (policy.text === "ACCEPT" || policy.text === "DROP") chainPolicy = policy.text;
  else {
    _fail(`policy "${policy.text}" is not ACCEPT, DROP or "-"`, lineNumber, policy.column);
  }
  const chain: Chain = { name: name.text, policy: chainPolicy, rules: [] };
  if (counters) chain.counters = _parseCounters(counters.text, lineNumber, counters.column);
  _addChain(state, chain, lineNumber, name.column);
}

function _parseCommand(
  state: _TableState,
  context: _Context,
  tokens: _Token[],
  line: number,
  lineLength: number,
): void {
  let i = 0;
  let counters: PacketCounter | undefined;
  if (tokens[0].text.startsWith("[") && !tokens[0].quoted) {
    counters = _parseCounters(tokens[0].text, line, tokens[0].column);
    i = 1;
  }
  const command = tokens[i];
  if (!command) _fail("command expected after the counters", line, lineLength + 1);
  const argument = tokens[i + 1];
  const needChain = (what: string): Chain => {
    if (!argument) _fail(`chain name expected after "${what}"`, line, lineLength + 1);
    const chain = state.byName.get(argument.text);
    if (!chain) _fail(`chain "${argument.text}" does not exist`, line, argument.column);
    return chain;
  };
  switch (command.text) {
    case "-N":
    case "--new-chain": {
      if (counters) _fail('counters are not allowed before "-N"', line, tokens[0].column);
      if (!argument) _fail(`chain name expected after "${command.text}"`, line, lineLength + 1);
      _checkChainName(argument.text, line, argument.column);
      if (tokens[i + 2]) _fail(`unexpected "${tokens[i + 2].text}"`, line, tokens[i + 2].column);
      _addChain(state, { name: argument.text, policy: null, rules: [] }, line, argument.column);
      return;
    }
    case "-P":
    case "--policy": {
      const chain = needChain(command.text);
      const policy = tokens[i + 2];
      if (chain.policy === null) {
        _fail(`chain "${chain.name}" is a user chain and has no policy`, line, argument.column);
      }
      if (!policy) _fail("policy expected", line, lineLength + 1);
      if (policy.text !== "ACCEPT" && policy.text !== "DROP") {
        _fail(`policy "${policy.text}" is not ACCEPT or DROP`, line, policy.column);
      }
      if (tokens[i + 3]) _fail(`unexpected "${tokens[i + 3].text}"`, line, tokens[i + 3].column);
      chain.policy = policy.text;
      if (counters) chain.counters = counters;
      return;
    }
    case "-A":
    case "--append": {
      const chain = needChain(command.text);
      const rule = _parseRule(state, context, tokens, i + 2, line, lineLength);
      if (counters) {
        if (rule.counters) _fail("counters given twice", line, tokens[0].column);
        rule.counters = counters;
      }
      chain.rules.push(rule);
      return;
    }
    default:
      _fail(
        `command "${command.text}" is not supported (expected -A, -N, -P, a chain line or COMMIT)`,
        line,
        command.column,
      );
  }
}

type _Module = "bpf" | "u32" | "comment";

// check-function-length: table (one case per iptables option, in the order iptables-save writes them)
function _parseRule(
  state: _TableState,
  context: _Context,
  tokens: _Token[],
  from: number,
  line: number,
  lineLength: number,
): Rule {
  const rule: Rule = { base: "network", matches: [], target: null };
  let invert: _Token | undefined;
  let baseGiven = false;
  let targetGiven = false;
  const loaded: Partial<Record<_Module, BpfMatch | U32Match | CommentMatch>> = {};
  const pendingExpressions: { match: BpfMatch; token: _Token }[] = [];
  const valueOf = (option: _Token, index: number): _Token => {
    const value = tokens[index];
    if (!value) _fail(`option "${option.text}" requires an argument`, line, lineLength + 1);
    return value;
  };
  const noInvert = (option: _Token) => {
    if (invert) _fail(`option "${option.text}" cannot be inverted with "!"`, line, invert.column);
  };
  for (let i = from; i < tokens.length; i++) {
    const token = tokens[i];
    const option = token.text;
    if (option === "!" && !token.quoted) {
      if (invert) _fail(`"!" given twice`, line, token.column);
      invert = token;
      continue;
    }
    switch (option) {
      case "-s":
      case "--source":
      case "--src":
      case "-d":
      case "--destination":
      case "--dst": {
        const value = valueOf(token, ++i);
        const network = _canonicalNetwork(value.text, context.seen);
        if (typeof network === "string") _fail(`${network} in "${option}"`, line, value.column);
        const direction = option === "-s" || option.startsWith("--s") ? "source" : "destination";
        if (_hasMatch(rule.matches, "address", direction)) {
          _fail(`option "${option}" given twice`, line, token.column);
        }
        rule.matches.push({
          kind: "address",
          direction,
          invert: invert !== undefined,
          address: network.address,
          prefixLength: network.prefixLength,
        });
        break;
      }
      case "-p":
      case "--protocol": {
        const value = valueOf(token, ++i);
        const protocol = _parseProtocol(value.text);
        if (protocol < 0) _fail(`unknown protocol "${value.text}"`, line, value.column);
        if (_hasMatch(rule.matches, "protocol", undefined)) {
          _fail(`option "${option}" given twice`, line, token.column);
        }
        if (protocol === 0 && invert) _fail(`"! -p all" matches nothing`, line, invert.column);
        rule.matches.push({ kind: "protocol", invert: invert !== undefined, protocol });
        break;
      }
      case "-i":
      case "--in-interface":
      case "-o":
      case "--out-interface": {
        const value = valueOf(token, ++i);
        const name = value.text;
        if (name.length === 0 || name.length > _MAX_INTERFACE_NAME || /[\s/]/.test(name)) {
          _fail(`interface name "${name}" is not valid`, line, value.column);
        }
        const direction = option === "-i" || option === "--in-interface" ? "in" : "out";
        if (_hasMatch(rule.matches, "interface", direction)) {
          _fail(`option "${option}" given twice`, line, token.column);
        }
        rule.matches.push({ kind: "interface", direction, invert: invert !== undefined, name });
        break;
      }
      case "-m":
      case "--match": {
        noInvert(token);
        const value = valueOf(token, ++i);
        let match: BpfMatch | U32Match | CommentMatch;
        if (value.text === "bpf") match = { kind: "bpf", invert: false };
        else if (value.text === "u32") match = { kind: "u32", invert: false, expression: "" };
        else if (value.text === "comment") match = { kind: "comment", comment: "" };
        else {
          _fail(
            `match "${value.text}" is not supported (supported: bpf, u32, comment, and -s, -d, -p, -i, -o)`,
            line,
            value.column,
          );
        }
        _checkComplete(loaded[value.text as _Module], line, value.column);
        loaded[value.text as _Module] = match;
        rule.matches.push(match);
        break;
      }
      case "--bytecode":
      case "--expr": {
        const match = loaded.bpf as BpfMatch | undefined;
        if (!match) _fail(`option "${option}" needs "-m bpf" before it`, line, token.column);
        if (match.program || match.expression !== undefined) {
          _fail(`"-m bpf" takes one --bytecode or --expr`, line, token.column);
        }
        const value = valueOf(token, ++i);
        match.invert = invert !== undefined;
        if (option === "--bytecode") {
          match.program = _parseProgram(value, context, line);
        } else {
          match.expression = value.text;
          pendingExpressions.push({ match, token: value });
        }
        break;
      }
      case "--u32": {
        const match = loaded.u32 as U32Match | undefined;
        if (!match) _fail(`option "--u32" needs "-m u32" before it`, line, token.column);
        if (match.expression !== "") _fail(`"-m u32" takes one --u32`, line, token.column);
        const value = valueOf(token, ++i);
        _checkU32(value, context.seen, line);
        match.invert = invert !== undefined;
        match.expression = value.text;
        break;
      }
      case "--comment": {
        noInvert(token);
        const match = loaded.comment as CommentMatch | undefined;
        if (!match) _fail(`option "--comment" needs "-m comment" before it`, line, token.column);
        if (match.comment !== "") _fail(`"-m comment" takes one --comment`, line, token.column);
        const value = valueOf(token, ++i);
        if (new TextEncoder().encode(value.text).length > _MAX_COMMENT) {
          _fail(`comment is longer than ${_MAX_COMMENT} bytes`, line, value.column);
        }
        match.comment = value.text;
        break;
      }
      case "--base": {
        noInvert(token);
        const value = valueOf(token, ++i);
        if (baseGiven) _fail(`option "--base" given twice`, line, token.column);
        if (value.text !== "link" && value.text !== "network") {
          _fail(`base "${value.text}" is not "link" or "network"`, line, value.column);
        }
        rule.base = value.text as RuleBase;
        baseGiven = true;
        break;
      }
      case "-j":
      case "--jump":
      case "-g":
      case "--goto": {
        noInvert(token);
        const value = valueOf(token, ++i);
        if (targetGiven) _fail(`only one target ("-j" or "-g") per rule`, line, token.column);
        targetGiven = true;
        const isGoto = option === "-g" || option === "--goto";
        if (isGoto && _BUILT_IN_TARGETS.has(value.text)) {
          _fail(`"${option}" needs a user chain, not "${value.text}"`, line, value.column);
        }
        rule.target = value.text;
        if (isGoto) rule.goto = true;
        state.places.targets.set(rule, { line, column: value.column });
        break;
      }
      case "-c":
      case "--set-counters": {
        noInvert(token);
        const packets = valueOf(token, ++i);
        const bytes = valueOf(token, ++i);
        if (rule.counters) _fail("counters given twice", line, token.column);
        rule.counters = _counterPair(packets.text, bytes.text, line, packets.column);
        break;
      }
      default:
        if (token.text.startsWith("-") && !token.quoted) {
          _fail(`option "${option}" is not supported`, line, token.column);
        }
        _fail(`unexpected argument "${option}"`, line, token.column);
    }
    invert = undefined;
  }
  if (invert) _fail(`"!" is not followed by an option`, line, invert.column);
  for (const match of Object.values(loaded)) _checkComplete(match, line, lineLength + 1);
  for (let i = 0; i < pendingExpressions.length; i++) {
    const { match, token } = pendingExpressions[i];
    const key = `${rule.base} ${match.expression}`;
    if (context.seen.checked.has(key)) continue;
    _checkExpression(match.expression!, rule.base, context.linkType, token, line);
    context.seen.checked.add(key);
  }
  return rule;
}

/**
 * Whether `matches` has a match of `kind` (and, unless `undefined`, of
 * `direction`): a loop, not a `some` closure per option of every rule.
 */
function _hasMatch(
  matches: readonly Match[],
  kind: Match["kind"],
  direction: string | undefined,
): boolean {
  for (let i = 0; i < matches.length; i++) {
    const m = matches[i];
    if (m.kind !== kind) continue;
    if (direction === undefined || ("direction" in m && m.direction === direction)) return true;
  }
  return false;
}

function _checkComplete(
  match: BpfMatch | U32Match | CommentMatch | undefined,
  line: number,
  column: number,
): void {
  if (!match) return;
  if (match.kind === "bpf" && !match.program && match.expression === undefined) {
    _fail(`"-m bpf" needs --bytecode or --expr`, line, column);
  }
  if (match.kind === "u32" && match.expression === "") _fail(`"-m u32" needs --u32`, line, column);
  if (match.kind === "comment" && match.comment === "") {
    _fail(`"-m comment" needs --comment`, line, column);
  }
}

/** `_parseNetwork`, then the address as iptables-save prints it; once per text. */
function _canonicalNetwork(
  text: string,
  seen: _Seen,
): { address: string; prefixLength: number } | string {
  const known = seen.networks.get(text);
  if (known !== undefined) return known;
  const network = _parseNetwork(text);
  const canonical = typeof network === "string"
    ? network
    : { address: _formatAddress(network.bytes), prefixLength: network.prefixLength };
  seen.networks.set(text, canonical);
  return canonical;
}

/**
 * A `--bytecode` program, parsed and validated once per text: the first rule
 * with the text gets the parsed program, each later one a copy of it (made
 * before the parse returns, so no two rules share an instruction).
 */
function _parseProgram(value: _Token, context: _Context, line: number): BpfMatch["program"] {
  const known = context.seen.programs.get(value.text);
  if (known !== undefined) return _copyProgram(known);
  const program = _parseValidProgram(value, context.maxInstructions, line);
  context.seen.programs.set(value.text, program);
  return program;
}

/** Fresh instructions equal to `program`'s. */
function _copyProgram(program: readonly Instruction[]): Instruction[] {
  const copy: Instruction[] = new Array(program.length);
  for (let i = 0; i < program.length; i++) {
    const { code, jt, jf, k } = program[i];
    copy[i] = { code, jt, jf, k };
  }
  return copy;
}

function _parseValidProgram(value: _Token, maxInstructions: number, line: number): Instruction[] {
  let program;
  try {
    program = parseBytecode(value.text);
  } catch (error) {
    if (!(error instanceof BpfSyntaxError)) throw error;
    const column = error.line === 1 ? value.valueColumn + error.column - 1 : value.valueColumn;
    _fail(`bad --bytecode (${error.message})`, line, column, error);
  }
  try {
    validate(program, { maxInstructions });
  } catch (error) {
    if (!(error instanceof BpfValidationError)) throw error;
    const limit = error.code === "TOO_LONG"
      ? ` (xt_bpf allows ${maxInstructions}; see the maxInstructions option, --max-instructions on the command line)`
      : "";
    _fail(`bad --bytecode program (${error.message})${limit}`, line, value.valueColumn, error);
  }
  return program;
}

function _checkU32(value: _Token, seen: _Seen, line: number): void {
  const key = `u32 ${value.text}`;
  if (seen.checked.has(key)) return;
  try {
    _parsedU32(value.text);
    seen.checked.add(key);
  } catch (error) {
    if (!(error instanceof U32SyntaxError)) throw error;
    _fail(`bad --u32 (${error.message})`, line, value.valueColumn + error.column - 1, error);
  }
}

function _checkExpression(
  expression: string,
  base: RuleBase,
  linkType: number,
  value: _Token,
  line: number,
): void {
  let program;
  try {
    // Unoptimised: the same errors, 8x faster; optimised only when too long.
    const options = { linkType: base === "network" ? LINKTYPE_RAW : linkType };
    const packed = _unoptimisedPacked(expression, options.linkType);
    if (packed.length <= 2 * _BPF_MAXINSNS) program = packed;
    else program = compileFilter(expression, options);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    _fail(`bad --expr "${expression}" (${message})`, line, value.valueColumn, error);
  }
  try {
    // The unoptimised program is shared with the compile, which then need not check it again.
    if (program instanceof Uint32Array) _validateCached(program);
    else validate(program, { maxInstructions: _BPF_MAXINSNS });
  } catch (error) {
    if (!(error instanceof BpfValidationError)) throw error;
    _fail(`bad --expr program (${error.message})`, line, value.valueColumn, error);
  }
}

function _finishTable(state: _TableState): RuleSet {
  const ruleSet: RuleSet = { table: state.name, chains: state.chains };
  const problem = _findChainProblem(ruleSet);
  if (problem) {
    const rule = state.chains.find((c) => c.name === problem.chain)!.rules[problem.rule - 1];
    const place = state.places.targets.get(rule) ?? { line: state.line, column: 1 };
    _fail(problem.reason, place.line, place.column);
  }
  return ruleSet;
}
