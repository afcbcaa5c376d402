/**
 * The rule-set routes: list, upload, read, delete.
 *
 * @module
 */
import type { Context } from "hono";
import type { _Service } from "./_service.ts";
import { _choice, _flag, _ifMatch, _mismatch, _name, _notFound } from "./_http_helpers.ts";
import { _HttpError } from "./_http_error.ts";
import { _readRuleSet } from "./_read_rule_set.ts";
import { _ruleSetJsonLines, _slicedTextBody } from "./_sliced_text.ts";

const _MAX_ATTEMPTS = 16;

/** `GET /rulesets`. */
export async function _listRuleSets(c: Context, service: _Service): Promise<Response> {
  return c.json({ ruleSets: await service.store.list() });
}

/**
 * `PUT /rulesets/:name`: the whole body is read, checked (complete, UTF-8,
 * not empty unless `?allowEmpty=1`), parsed and compiled before anything is
 * stored; `If-Match` / `If-None-Match: *` make it conditional.
 */
export async function _putRuleSet(c: Context, service: _Service): Promise<Response> {
  const { limits, ruleSets, store } = service;
  const name = _name(c);
  const ifMatch = _ifMatch(c.req.header("if-match"));
  const createOnly = c.req.header("if-none-match")?.trim() === "*";
  const upload = await _readRuleSet(c.req.raw, {
    maxBodyBytes: limits.maxBodyBytes,
    maxRules: limits.maxRules,
    maxInstructions: limits.maxInstructions,
    allowEmpty: _flag(c, "allowEmpty"),
    compile: (ruleSet) => ruleSets.compile(ruleSet),
    oneAtATime: (work) => ruleSets.oneAtATime(work),
  });
  const updatedAt = service.now().toISOString();
  for (let attempt = 0;; attempt++) {
    let expected: number | null;
    if (typeof ifMatch === "number") expected = ifMatch;
    else if (createOnly) expected = null;
    else {
      expected = await store.version(name);
      if (ifMatch === "*" && expected === null) throw _mismatch(name, null);
    }
    const result = await store.put(name, upload.text, expected, updatedAt);
    if (result.ok) {
      const { ruleSet, compiled, text } = upload;
      ruleSets.install(name, ruleSets.loaded(ruleSet, compiled, text, result.version, updatedAt));
      c.header("ETag", `"${result.version}"`);
      if (result.created) c.header("Location", `/rulesets/${name}`);
      return c.json(
        { name, version: result.version, rules: upload.rules, chains: ruleSet.chains.length },
        result.created ? 201 : 200,
      );
    }
    if (typeof ifMatch === "number" || createOnly) throw _mismatch(name, result.current);
    if (attempt + 1 >= _MAX_ATTEMPTS) {
      throw new _HttpError(
        409,
        "CONFLICT",
        `Cannot store rule set "${name}": too many concurrent uploads, try again`,
      );
    }
  }
}

/** `GET /rulesets/:name` (`?format=text|json`). */
export async function _getRuleSet(c: Context, service: _Service): Promise<Response> {
  const name = _name(c);
  const format = _choice(c, "format", ["text", "json"]);
  const loaded = await service.ruleSets.current(name);
  if (!loaded) throw _notFound(name);
  c.header("ETag", `"${loaded.version}"`);
  c.header("X-Bpfstream-Version", String(loaded.version));
  c.header("Last-Modified", new Date(loaded.updatedAt).toUTCString());
  if (format === "json") {
    // About 2.6 MB for 10,000 rules: made in slices (./_sliced_text.ts).
    c.header("Content-Type", "application/json");
    return c.body(_slicedTextBody(_ruleSetJsonLines(loaded.ruleSet)));
  }
  return c.text(loaded.text);
}

/** `DELETE /rulesets/:name` (`If-Match` for a conditional delete). */
export async function _deleteRuleSet(c: Context, service: _Service): Promise<Response> {
  const { ruleSets, store } = service;
  const name = _name(c);
  const ifMatch = _ifMatch(c.req.header("if-match"));
  for (let attempt = 0;; attempt++) {
    const version = typeof ifMatch === "number" ? ifMatch : await store.version(name);
    if (version === null) throw _notFound(name);
    if (await store.delete(name, version)) {
      ruleSets.forget(name);
      return c.json({ name, version, deleted: true });
    }
    if (typeof ifMatch === "number") throw _mismatch(name, await store.version(name));
    if (attempt + 1 >= _MAX_ATTEMPTS) {
      throw new _HttpError(409, "CONFLICT", `Cannot delete rule set "${name}": it keeps changing`);
    }
  }
}
