/**
 * Shape check of a rule-set model uploaded as JSON, before it reaches the
 * compiler (which expects well-typed data).
 *
 * @module
 */
import type { RuleSet } from "../rules/rule_set.ts";
import { _HttpError } from "./_http_error.ts";
import { _yieldToEventLoop } from "../rules/_yield_to_event_loop.ts";

type _Spec = Record<string, (value: unknown) => boolean>;

const _isString = (v: unknown) => typeof v === "string";
const _isBoolean = (v: unknown) => typeof v === "boolean";
const _isUint = (v: unknown) => Number.isInteger(v) && (v as number) >= 0;
const _isUint32 = (v: unknown) => _isUint(v) && (v as number) <= 0xffffffff;
const _isCounter = (v: unknown) =>
  _isObject(v) && _isUint((v as Record<string, unknown>).packets) &&
  _isUint((v as Record<string, unknown>).bytes);

function _isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

const _MATCHES: Record<string, { required: _Spec; optional?: _Spec }> = {
  bpf: {
    required: { invert: _isBoolean },
    optional: { program: Array.isArray, expression: _isString },
  },
  u32: { required: { invert: _isBoolean, expression: _isString } },
  comment: { required: { comment: _isString } },
  protocol: { required: { invert: _isBoolean, protocol: _isUint } },
  address: {
    required: {
      direction: (v) => v === "source" || v === "destination",
      invert: _isBoolean,
      address: _isString,
      prefixLength: _isUint,
    },
  },
  interface: {
    required: { direction: (v) => v === "in" || v === "out", invert: _isBoolean, name: _isString },
  },
};

function _fail(path: string, reason: string): never {
  throw new _HttpError(400, "INVALID_MODEL", `Cannot read rule set model: ${reason} at "${path}"`, {
    path,
  });
}

function _fields(value: unknown, path: string, required: _Spec, optional: _Spec = {}): void {
  if (!_isObject(value)) _fail(path, "expected an object");
  for (const [key, ok] of Object.entries(required)) {
    if (!(key in value)) _fail(`${path}/${key}`, "missing field");
    if (!ok(value[key])) _fail(`${path}/${key}`, "wrong type or value");
  }
  for (const [key, ok] of Object.entries(optional)) {
    if (value[key] !== undefined && !ok(value[key])) _fail(`${path}/${key}`, "wrong type or value");
  }
  for (const key of Object.keys(value)) {
    if (!(key in required) && !(key in optional) && key !== "kind") {
      _fail(`${path}/${key}`, "unknown field");
    }
  }
}

/** Rules checked between two yields of {@linkcode _checkModelInSlices}. */
export const _RULES_PER_CHECK_SLICE = 256;

/**
 * Checks that `value` has the shape of a `RuleSet` (types only; meaning is
 * the compiler's job) and returns it typed; errors name the JSON pointer.
 * In slices of {@linkcode _RULES_PER_CHECK_SLICE} rules with a macrotask
 * between them: a model near the 1 MiB upload limit (about 3,600 rules)
 * took 6–30 ms to check in one piece.
 */
export async function _checkModelInSlices(value: unknown): Promise<RuleSet> {
  for (const _ of _checkSteps(value)) await _yieldToEventLoop();
  return value as RuleSet;
}

/** The checks of {@linkcode _checkModelInSlices}, yielding after every {@linkcode _RULES_PER_CHECK_SLICE} rules. */
function* _checkSteps(value: unknown): Generator<void, void, undefined> {
  _fields(value, "", { table: _isString, chains: Array.isArray });
  const chains = (value as { chains: unknown[] }).chains;
  let checked = 0;
  for (let c = 0; c < chains.length; c++) {
    const chain = chains[c];
    const at = `/chains/${c}`;
    _fields(chain, at, {
      name: _isString,
      policy: (v) => v === "ACCEPT" || v === "DROP" || v === null,
      rules: Array.isArray,
    }, { counters: _isCounter });
    const rules = (chain as { rules: unknown[] }).rules;
    for (let r = 0; r < rules.length; r++) {
      _checkRule(rules[r], `${at}/rules/${r}`);
      if (++checked % _RULES_PER_CHECK_SLICE === 0) yield;
    }
  }
}

/** Checks one rule's shape (its matches and their programs). */
function _checkRule(rule: unknown, ruleAt: string): void {
  _fields(rule, ruleAt, {
    base: (v) => v === "network" || v === "link",
    matches: Array.isArray,
    target: (v) => v === null || _isString(v),
  }, { goto: _isBoolean, counters: _isCounter });
  (rule as { matches: unknown[] }).matches.forEach((match: unknown, m) => {
    const matchAt = `${ruleAt}/matches/${m}`;
    if (!_isObject(match)) _fail(matchAt, "expected an object");
    const spec = typeof match.kind === "string" ? _MATCHES[match.kind] : undefined;
    if (!spec || !Object.hasOwn(_MATCHES, match.kind as string)) {
      _fail(`${matchAt}/kind`, "unknown match kind");
    }
    _fields(match, matchAt, spec.required, spec.optional);
    if (match.kind === "bpf") {
      (match.program as unknown[] | undefined)?.forEach((instruction, i) =>
        _fields(instruction, `${matchAt}/program/${i}`, {
          code: (v) => _isUint(v) && (v as number) <= 0xffff,
          jt: (v) => _isUint(v) && (v as number) <= 0xff,
          jf: (v) => _isUint(v) && (v as number) <= 0xff,
          k: _isUint32,
        })
      );
    }
  });
}
