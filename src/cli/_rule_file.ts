/**
 * Reading a rule file for `filter` and `check`: binary input (a capture
 * given where the rules were expected) and tables that rewrite packets are
 * refused with a message that says what to do.
 *
 * @module
 */
import { parseRuleSet } from "../rules/parse_rule_set.ts";
import type { RuleSet } from "../rules/rule_set.ts";
import type { CliIo } from "./cli_io.ts";
import { DataError } from "./data_error.ts";
import { _readText } from "./_input.ts";

/**
 * Tables whose rules only accept or drop, which is all a capture filter can
 * do: `filter` and `raw`. `nat`, `mangle` and `security` rules rewrite or
 * label packets.
 */
const _FILTERING_TABLES = new Set(["filter", "raw"]);

/** Reads and parses the rule file at `path` (`-`: stdin); errors name the file. */
export async function _readRuleFile(
  io: CliIo,
  path: string,
  maxInstructions: number,
): Promise<{ ruleSet: RuleSet; name: string; text: string }> {
  const text = await _readText(io, path);
  const name = path === "-" ? "<stdin>" : path;
  _refuseBinary(text, name);
  let ruleSet: RuleSet;
  try {
    ruleSet = parseRuleSet(text, { maxInstructions });
  } catch (error) {
    throw DataError.from(name, error);
  }
  _refuseTable(ruleSet.table, text, name);
  return { ruleSet, name, text };
}

/** A NUL byte never occurs in iptables-save text; it does in every capture. */
function _refuseBinary(text: string, name: string): void {
  const head = text.slice(0, 4096);
  if (!head.includes("\0")) return;
  const pcapng = head.startsWith("\n\r\r\n");
  throw new DataError(
    name,
    `Cannot parse rule set: the input is binary data${
      pcapng ? " (a pcapng capture)" : ""
    }, not iptables-save text at line 1, column 1 (give the rules with --rules FILE and the capture as FILE or on standard input)`,
  );
}

function _refuseTable(table: string, text: string, name: string): void {
  if (_FILTERING_TABLES.has(table)) return;
  const lines = text.split("\n");
  const index = lines.findIndex((line) => line.trim() === `*${table}`);
  throw new DataError(
    name,
    `Cannot use table "${table}": bpfstream only accepts or drops frames, as the filter and raw tables do (${table} rules rewrite or mark packets) at line ${
      index + 1
    }, column 1`,
  );
}
