/**
 * The body of `PUT /rulesets/:name` → a checked, compiled rule set, without
 * holding the event loop (parsing and compiling run in bounded slices).
 *
 * @module
 */
import type { CompiledRuleSet } from "../rules/compile_rule_set.ts";
import { _ruleSetLines } from "../rules/format_rule_set.ts";
import { parseRuleSetAsync } from "../rules/parse_rule_set_async.ts";
import type { RuleSet } from "../rules/rule_set.ts";
import { _checkModelInSlices } from "./_check_model.ts";
import { _HttpError } from "./_http_error.ts";
import { _readBody } from "./_read_body.ts";
import { _joinInSlices } from "./_sliced_text.ts";

/** An uploaded rule set, ready to store. */
export interface _UploadedRuleSet {
  /** The text to store (`iptables-save` form; a JSON model is stored formatted). */
  text: string;
  ruleSet: RuleSet;
  compiled: CompiledRuleSet;
  /** Rules over all chains. */
  rules: number;
}

/** What {@linkcode _readRuleSet} needs. */
export interface _ReadRuleSetOptions {
  maxBodyBytes: number;
  maxRules: number;
  maxInstructions: number;
  /** Accept a text without any rule, chain or table line (`?allowEmpty=1`). */
  allowEmpty: boolean;
  compile: (ruleSet: RuleSet) => Promise<CompiledRuleSet>;
  /**
   * Runs the parse and compile once the body is in (one upload's body never
   * holds up another's compile). @default {the work at once}
   */
  oneAtATime?: <T>(work: () => Promise<T>) => Promise<T>;
}

/** Longest run of parsing between two yields to the event loop. */
const _SLICE_MS = 5;

/**
 * Reads, decodes, parses, checks and compiles an uploaded rule set; throws
 * an {@linkcode _HttpError} or a `RuleSetError` (both become a 4xx).
 */
export async function _readRuleSet(
  request: Request,
  options: _ReadRuleSetOptions,
): Promise<_UploadedRuleSet> {
  const bytes = await _readBody(request, options.maxBodyBytes);
  const json = /^application\/([\w.+-]*\+)?json\b/i.test(
    request.headers.get("content-type") ?? "",
  );
  const run = options.oneAtATime ?? ((work) => work());
  return await run(() => _checkRuleSet(bytes, json, options));
}

/** Decodes, parses, checks and compiles the body of an upload. */
async function _checkRuleSet(
  bytes: Uint8Array,
  json: boolean,
  options: _ReadRuleSetOptions,
): Promise<_UploadedRuleSet> {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new _HttpError(400, "INVALID_ENCODING", "Cannot read rule set: the body is not UTF-8");
  }
  const parse = (source: string) =>
    parseRuleSetAsync(source, {
      maxInstructions: options.maxInstructions,
      sliceMilliseconds: _SLICE_MS,
    });
  let ruleSet: RuleSet;
  if (json) {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      throw new _HttpError(
        400,
        "INVALID_JSON",
        `Cannot read rule set: ${(error as Error).message}`,
      );
    }
    ruleSet = await _checkModelInSlices(value);
  } else {
    if (!options.allowEmpty && _isBlank(text)) {
      throw new _HttpError(
        400,
        "EMPTY_RULE_SET",
        `Cannot accept rule set: the text has no table, chain or rule (${bytes.length} bytes); ` +
          "add ?allowEmpty=1 to store an empty rule set (policy ACCEPT)",
      );
    }
    ruleSet = await parse(text);
  }
  const rules = ruleSet.chains.reduce((n, chain) => n + chain.rules.length, 0);
  if (rules > options.maxRules) {
    throw new _HttpError(
      400,
      "TOO_MANY_RULES",
      `Cannot accept rule set: it has ${rules} rules, more than the limit of ${options.maxRules}`,
      { rules, limit: options.maxRules },
    );
  }
  const compiled = await options.compile(ruleSet);
  if (json) {
    // Stored as text; it must read back as the same rule set.
    text = await _joinInSlices(_ruleSetLines(ruleSet));
    ruleSet = await parse(text);
  }
  return { text, ruleSet, compiled, rules };
}

/** Whether a rule-set text has nothing but blank lines and `#` comments. */
function _isBlank(text: string): boolean {
  for (let start = 0;;) {
    const end = text.indexOf("\n", start);
    const line = text.slice(start, end < 0 ? undefined : end).trim();
    if (line !== "" && !line.startsWith("#")) return false;
    if (end < 0) return true;
    start = end + 1;
  }
}
