/**
 * Private: a rule's summary, the conjunction of its matches' summaries.
 *
 * - `--bytecode`, `--u32` (through `u32ToBpf`, whose `@` length check is
 *   implied by the load after it when `@` follows an IPv4 header length) and
 *   `--expr` (compiled for raw IP
 *   on network base; on link base for EN10MB, with the link type as a guard
 *   and the other link types left unsummarised) go through
 *   {@linkcode _summariseProgram};
 * - `-p` is the upper-layer protocol field, `-s`/`-d` masked words of the
 *   address of their IP version;
 * - `-i`/`-o` with a whole name are the interface field (`eth+` says nothing);
 * - `!` matches and comments say nothing (always possible);
 * - a match that cannot hold makes the whole rule impossible.
 *
 * Exact alternatives (their guards suffice, see ./_guards.ts): `-p`, `-s`,
 * `-d` and whole-name `-i`/`-o` (their tests read exactly those fields),
 * comments (always true), and the exact paths of network-base `--bytecode`,
 * `--u32` and `--expr` programs; a link-base `--expr`'s EN10MB alternatives
 * (with the link-type guard) where its EN10MB program's paths are exact, not
 * its alternatives for other link types. Inverted matches and `-i eth+` are
 * never exact.
 *
 * @module
 */
import { LINKTYPE_EN10MB } from "../capture/link_types.ts";
import { _parseNetwork } from "./_ip.ts";
import {
  _F_ADDRESS,
  _F_ANCILLARY,
  _F_INTERFACE,
  _F_LINK_TYPE,
  _F_UPPER_PROTOCOL,
  type _FieldTable,
} from "./_fields.ts";
import {
  type _Alternative,
  _ALWAYS,
  _ANYTHING,
  _conjoinSummaries,
  type _Guard,
  _MAX_ALTERNATIVES,
  _MAX_GUARDS,
  _NOTHING,
  type _Summary,
} from "./_guards.ts";
import { _addressOffset, type _PreparedMatch } from "./_match_tests.ts";
import { _summariseProgram } from "./_summarise_program.ts";

/** Numbers the name of a whole-name `-i`/`-o` match; its interface field's id, or -1. */
function _numberInterface(
  match: { direction: "in" | "out"; name: string },
  table: _FieldTable,
): number {
  const field = table.intern(_F_INTERFACE, 0, -1, match.direction === "in" ? 0 : 1, 0);
  if (field >= 0) table.interfaceNumber(match.name);
  return field;
}

/** The summary of one prepared match of a rule at `base`. */
export function _summariseMatch(
  prepared: _PreparedMatch,
  base: number,
  table: _FieldTable,
  programSummaries?: _ProgramSummaries,
): _Summary {
  const match = prepared.match;
  if (prepared.invert) {
    if (match.kind === "protocol") return _notProtocolSummary(match.protocol, table);
    if (match.kind === "address") return _addressSummary(prepared, match, table, true);
    // `! -i name` says nothing, but its name is numbered (the Wasm classifier
    // tests it on the frame's interface number).
    if (match.kind === "interface" && !match.name.endsWith("+")) _numberInterface(match, table);
    return _ANYTHING;
  }
  if (match.kind === "comment") return _ALWAYS;
  if (match.kind === "protocol") {
    // `-p all` always holds (`! -p all` never does: left to its test).
    if (match.protocol === 0) return match.invert ? _ANYTHING : _ALWAYS;
    const field = table.intern(_F_UPPER_PROTOCOL, 0, -1, 0, 0);
    if (field < 0) return _ANYTHING;
    const guard = { field, mask: 0xffffffff, lo: match.protocol, hi: match.protocol };
    return [{ guards: [guard], exact: true }];
  }
  if (match.kind === "address") return _addressSummary(prepared, match, table);
  if (match.kind === "interface") {
    // `eth+` is a prefix of names: not indexed.
    if (match.name.endsWith("+")) return _ANYTHING;
    const field = _numberInterface(match, table);
    if (field < 0) return _ANYTHING;
    const name = table.interfaceNumber(match.name);
    return [{ guards: [{ field, mask: 0xffffffff, lo: name, hi: name }], exact: true }];
  }
  const summary = _programSummary(prepared, base, table, programSummaries);
  if (summary === null) return _ANYTHING;
  if (!prepared.ethernetOnly) return summary;
  // What the EN10MB program says holds on EN10MB frames only.
  const linkType = table.intern(_F_LINK_TYPE, 0, -1, 0, 0);
  if (linkType < 0) return _ANYTHING;
  const ethernet = (lo: number, hi: number): _Guard => ({
    field: linkType,
    mask: 0xffffffff,
    lo,
    hi,
  });
  const inexact = (guards: _Guard[]) => ({ guards, exact: false });
  // An EN10MB alternative keeps its exactness: on a frame of link type
  // EN10MB the match's test runs the expression compiled for EN10MB (per
  // capture interface, whose snaplen only sets the accept value: `_linkKey`),
  // the very program summarised here, and the link-type guard keeps the
  // alternative from holding on any other link type.
  return [
    ...summary.map((a) => ({
      guards: [...a.guards, ethernet(LINKTYPE_EN10MB, LINKTYPE_EN10MB)],
      exact: a.exact,
    })),
    inexact([ethernet(0, LINKTYPE_EN10MB - 1)]),
    inexact([ethernet(LINKTYPE_EN10MB + 1, 0xffffffff)]),
  ];
}

/**
 * The summary of a match's program (not inverted), or `null` without one;
 * with `memo`, once per base and program key (the summaries are immutable
 * and shared, and the field table gives a repeated program the same fields).
 */
function _programSummary(
  prepared: _PreparedMatch,
  base: number,
  table: _FieldTable,
  memo: _ProgramSummaries | undefined,
): _Summary | null {
  const key = prepared.key;
  const byKey = memo !== undefined && key !== undefined ? memo[base] : undefined;
  if (byKey !== undefined) {
    const known = byKey.get(key!);
    if (known !== undefined) return known;
  }
  const program = prepared.program; // (unpacked on each read: read once)
  const summary = program === null ? null : _summariseProgram(program, base, table);
  byKey?.set(key!, summary);
  return summary;
}

/**
 * Program summaries of one rule set, per base (`_BASE_NETWORK`,
 * `_BASE_LINK`) by program key (at most one entry per distinct program and
 * base): `[new Map(), new Map()]`.
 */
export type _ProgramSummaries = readonly Map<string, _Summary | null>[];

/**
 * `! -p N`: the protocol loads and is not N, two exact ranges (`! -p all`
 * never matches: left to its test).
 */
function _notProtocolSummary(protocol: number, table: _FieldTable): _Summary {
  if (protocol === 0) return _ANYTHING;
  const field = table.intern(_F_UPPER_PROTOCOL, 0, -1, 0, 0);
  if (field < 0) return _ANYTHING;
  const below = { field, mask: 0xffffffff, lo: 0, hi: protocol - 1 };
  const above = { field, mask: 0xffffffff, lo: protocol + 1, hi: 0xffffffff };
  return [{ guards: [below], exact: true }, { guards: [above], exact: true }];
}

/**
 * `-s`/`-d`: the prefix's words equal (one exact alternative); inverted,
 * the address of that version loads and some word differs: for each word
 * `i`, words before it equal and word `i` below or above (at most 8 exact
 * alternatives; `! -s 0/0` never matches and is left to its test).
 */
function _addressSummary(
  prepared: _PreparedMatch,
  match: _PreparedMatch["match"] & { kind: "address" },
  table: _FieldTable,
  invert = false,
): _Summary {
  const network = prepared.network ?? _parseNetwork(`${match.address}/${match.prefixLength}`);
  if (typeof network === "string") return _ANYTHING; // refused when prepared
  const offset = _addressOffset(network.version, match.direction);
  const guards: _Guard[] = [];
  let exact = true;
  const bytes = network.bytes;
  for (let word = 0; word * 32 < network.prefixLength; word++) {
    const bits = Math.min(32, network.prefixLength - word * 32);
    const mask = bits === 32 ? 0xffffffff : (0xffffffff << (32 - bits)) >>> 0;
    const i = word * 4;
    const value = ((bytes[i] << 24) | (bytes[i + 1] << 16) | (bytes[i + 2] << 8) | bytes[i + 3]) &
      mask;
    const field = table.intern(_F_ADDRESS, 0, -1, offset + i, network.version);
    if (field >= 0) guards.push({ field, mask, lo: value >>> 0, hi: value >>> 0 });
    else exact = false;
  }
  if (invert) {
    if (!exact || guards.length === 0) return _ANYTHING;
    const alternatives: _Alternative[] = [];
    guards.forEach((g, i) => {
      // With a prefix mask, `(w & mask) < v` is `w < v` and `(w & mask) > v`
      // is `w > (v | ~mask)`: ranges on the whole word.
      const equal = guards.slice(0, i);
      const top = (g.lo | ~g.mask) >>> 0;
      const whole = { field: g.field, mask: 0xffffffff };
      if (g.lo > 0) {
        alternatives.push({ guards: [...equal, { ...whole, lo: 0, hi: g.lo - 1 }], exact });
      }
      if (top < 0xffffffff) {
        alternatives.push({ guards: [...equal, { ...whole, lo: top + 1, hi: 0xffffffff }], exact });
      }
    });
    return alternatives;
  }
  if (network.prefixLength === 0) {
    // `-s 0/0` still needs an IP header of its version: the word 0 loads.
    const field = table.intern(_F_ADDRESS, 0, -1, offset, network.version);
    if (field >= 0) guards.push({ field, mask: 0, lo: 0, hi: 0 });
    else exact = false;
  }
  return [{ guards, exact }];
}

/** Most alternatives of a program's summary that {@linkcode _exactProgramGuards} gives. */
export const _MAX_EXACT_PROGRAM_ALTERNATIVES = 4;

/** Options of {@linkcode _summariseRule}. */
export interface _SummariseRuleOptions {
  /**
   * Pushed per match (in order, up to the first that cannot hold):
   * {@linkcode _exactProgramGuards}.
   */
  exactPrograms?: (readonly (readonly _Guard[])[] | null)[];
  /**
   * Program summaries by base and program key, shared by the rules of one
   * set (at most one entry per distinct program and base).
   */
  programSummaries?: _ProgramSummaries;
}

/** The summary of a rule: the conjunction of its matches' summaries. */
export function _summariseRule(
  prepared: readonly _PreparedMatch[],
  base: number,
  table: _FieldTable,
  options?: _SummariseRuleOptions,
): _Summary {
  const exactPrograms = options?.exactPrograms;
  const memo = options?.programSummaries;
  let summary: _Summary = _ALWAYS;
  for (let i = 0; i < prepared.length; i++) {
    const match = prepared[i];
    const own = _summariseMatch(match, base, table, memo);
    exactPrograms?.push(_exactProgramGuards(match, own, base, table, memo));
    summary = summary === _ALWAYS && _conjoinsAsItIs(own) ? own : _conjoinSummaries(summary, own);
    if (summary.length === 0) return _NOTHING;
  }
  return summary;
}

/**
 * Whether `_conjoinSummaries(_ALWAYS, summary)` is `summary` itself: at most
 * `_MAX_ALTERNATIVES` alternatives of at most `_MAX_GUARDS` guards (every
 * summary made here has at most one guard per field and mask). Then a rule's
 * first match's summary is shared as it is (immutable), not copied per rule.
 */
function _conjoinsAsItIs(summary: _Summary): boolean {
  if (summary.length > _MAX_ALTERNATIVES) return false;
  for (let i = 0; i < summary.length; i++) if (summary[i].guards.length > _MAX_GUARDS) return false;
  return true;
}

/**
 * For a program match (`--bytecode`, `--u32`, network-base `--expr`, also
 * inverted) whose program's summary has at most
 * {@linkcode _MAX_EXACT_PROGRAM_ALTERNATIVES} alternatives, all exact and
 * on no ancillary field: their guards. The program accepts exactly when one
 * alternative's guards all hold, so the match holds exactly when one does
 * (inverted: none does). Else `null`. `own` is the match's summary.
 */
function _exactProgramGuards(
  prepared: _PreparedMatch,
  own: _Summary,
  base: number,
  table: _FieldTable,
  memo: _ProgramSummaries | undefined,
): (readonly _Guard[])[] | null {
  const kind = prepared.match.kind;
  if (prepared.ethernetOnly || (kind !== "bpf" && kind !== "u32")) return null;
  const summary = prepared.invert ? _programSummary(prepared, base, table, memo) : own;
  if (summary === null) return null;
  // Once per summary (a memoised one is shared by every rule of its program).
  let known = _exactGuards.get(summary);
  if (known === undefined) {
    known = _exactGuardsOf(summary, table);
    _exactGuards.set(summary, known);
  }
  return known;
}

/** {@linkcode _exactProgramGuards} by program summary (a summary's fields belong to one table). */
const _exactGuards = new WeakMap<_Summary, (readonly _Guard[])[] | null>();

function _exactGuardsOf(summary: _Summary, table: _FieldTable): (readonly _Guard[])[] | null {
  if (summary.length > _MAX_EXACT_PROGRAM_ALTERNATIVES) return null;
  const exact = summary.every((a) =>
    a.exact && a.guards.every((g) => table.fields[g.field].kind !== _F_ANCILLARY)
  );
  return exact ? summary.map((a) => a.guards) : null;
}
