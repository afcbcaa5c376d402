/**
 * The counter routes: read (this instance or global) and flush.
 *
 * @module
 */
import type { Context } from "hono";
import { _ruleSetLines } from "../rules/format_rule_set.ts";
import type { RuleSetCounters } from "../rules/rule_set.ts";
import type { _Service } from "./_service.ts";
import { _fromVector, _toVector } from "./_counter_vector.ts";
import { _choice, _name, _notFound } from "./_http_helpers.ts";
import { _slicedTextBody } from "./_sliced_text.ts";

/**
 * `GET /rulesets/:name/counters` (`?scope=instance|global`,
 * `?format=json|text`): the counters of the current version, its stream
 * totals on this instance and the last stream errors.
 */
export async function _getCounters(c: Context, service: _Service): Promise<Response> {
  const { ruleSets, store } = service;
  const name = _name(c);
  const scope = _choice(c, "scope", ["instance", "global"]);
  const format = _choice(c, "format", ["json", "text"]);
  const loaded = await ruleSets.current(name);
  if (!loaded) throw _notFound(name);
  const local = _toVector(loaded.ruleSet, loaded.compiled.counters());
  let counters: RuleSetCounters;
  if (scope === "global") {
    const stored = await store.readCounters(name, loaded.version);
    counters = _fromVector(
      loaded.ruleSet,
      (i) => (stored.get(i) ?? 0) + (local[i] ?? 0) - (loaded.flushed[i] ?? 0),
    );
  } else {
    counters = _fromVector(loaded.ruleSet, (i) => local[i] ?? 0);
  }
  c.header("ETag", `"${loaded.version}"`);
  if (format === "text") {
    // About 1 MB for 10,000 rules: made in slices (./_sliced_text.ts).
    c.header("Content-Type", "text/plain; charset=UTF-8");
    return c.body(_slicedTextBody(_ruleSetLines(loaded.ruleSet, counters)));
  }
  return c.json({
    name,
    version: loaded.version,
    loadedAt: loaded.loadedAt,
    scope,
    counters,
    streams: { ...ruleSets.streamTotals(name, loaded.version) },
    errors: ruleSets.entry(name).errors,
  });
}

/** `POST /rulesets/:name/counters/flush`: adds this instance's counters to the store now. */
export async function _flushCounters(c: Context, service: _Service): Promise<Response> {
  const name = _name(c);
  const loaded = await service.ruleSets.current(name);
  if (!loaded) throw _notFound(name);
  await service.ruleSets.flush(name, loaded);
  return c.json({ name, version: loaded.version, flushed: true });
}
