/**
 * Private: the networks of `-s`/`-d` texts, parsed once and shared by
 * `parseRuleSet` (which parses each address as written and keeps its
 * canonical text, `ADDRESS/PREFIX`) and `compileRuleSet` (which reads that
 * canonical text back), so that parsing then compiling a rule set parses
 * each distinct network once. A network parsed from any text is kept under
 * its canonical text: parsing that text gives the same network (the address
 * bytes with host bits cleared, printed as a dotted quad or RFC 5952 IPv6,
 * read back as the same version and bytes; tested).
 *
 * Bound: at most `_MAX_CACHED_NETWORKS` networks are kept, the oldest
 * forgotten first. Texts that do not parse are not kept.
 *
 * @module
 */
import { type _Network, _parseNetwork } from "./_ip.ts";

/** Most networks kept (16 bytes of address each, and their texts). */
export const _MAX_CACHED_NETWORKS = 65_536;

const _networks = new Map<string, _Network>();

/** Keeps `network` under its canonical text `text` (see {@linkcode _networkText}). */
export function _keepNetwork(text: string, network: _Network): void {
  if (_networks.has(text)) return;
  _networks.set(text, network);
  if (_networks.size <= _MAX_CACHED_NETWORKS) return;
  for (const oldest of _networks.keys()) {
    _networks.delete(oldest);
    break;
  }
}

/**
 * `_parseNetwork(text)`, from the networks kept when `text` is the
 * canonical text of one. Shared: callers must not modify it.
 */
export function _parsedNetwork(text: string): _Network | string {
  const known = _networks.get(text);
  if (known !== undefined) return known;
  const network = _parseNetwork(text);
  if (typeof network !== "string") _keepNetwork(text, network);
  return network;
}
