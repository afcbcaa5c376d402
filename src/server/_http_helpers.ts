/**
 * Small readers of request parts and the errors every route shares.
 *
 * @module
 */
import type { Context } from "hono";
import { _HttpError } from "./_http_error.ts";

const _NAME = /^[A-Za-z0-9_.-]{1,64}$/;

/** The `:name` path parameter, checked (400 INVALID_NAME). */
export function _name(c: Context): string {
  const name = c.req.param("name") ?? "";
  if (!_NAME.test(name)) {
    throw new _HttpError(
      400,
      "INVALID_NAME",
      `Cannot use rule-set name "${name.slice(0, 80)}": a name is 1 to 64 of A-Z a-z 0-9 _ . -`,
    );
  }
  return name;
}

/** A query parameter that must be one of `allowed` (the first is the default). */
export function _choice<T extends string>(c: Context, key: string, allowed: readonly T[]): T {
  const value = c.req.query(key) ?? allowed[0];
  if (!(allowed as readonly string[]).includes(value)) {
    throw new _HttpError(
      400,
      "INVALID_QUERY",
      `Cannot read query: "${key}" must be ${allowed.map((a) => `"${a}"`).join(" or ")} (got "${
        value.slice(0, 40)
      }")`,
      { parameter: key },
    );
  }
  return value as T;
}

/** A yes/no query flag: absent, `0` or `false` → false; `1`, `true` or empty → true. */
export function _flag(c: Context, key: string): boolean {
  const value = c.req.query(key);
  if (value === undefined) return false;
  if (value === "" || value === "1" || value === "true") return true;
  if (value === "0" || value === "false") return false;
  throw new _HttpError(
    400,
    "INVALID_QUERY",
    `Cannot read query: "${key}" must be "1" or "0" (got "${value.slice(0, 40)}")`,
    { parameter: key },
  );
}

/** `If-Match: "3"` → 3, `If-Match: *` → `"*"`, absent → undefined. */
export function _ifMatch(header: string | undefined): number | "*" | undefined {
  if (header === undefined) return undefined;
  const value = header.trim();
  if (value === "*") return "*";
  const match = /^(?:W\/)?"?(\d{1,15})"?$/.exec(value);
  if (!match) {
    throw new _HttpError(
      400,
      "INVALID_HEADER",
      `Cannot read If-Match: expected a version such as "3" (got ${
        JSON.stringify(value.slice(0, 40))
      })`,
    );
  }
  return Number(match[1]);
}

/** 412 VERSION_MISMATCH. */
export function _mismatch(name: string, current: number | null): _HttpError {
  return new _HttpError(
    412,
    "VERSION_MISMATCH",
    current === null
      ? `Cannot store rule set "${name}": the precondition failed (it does not exist)`
      : `Cannot store rule set "${name}": the precondition failed (current version is ${current})`,
    { current },
  );
}

/** 404 NOT_FOUND for a rule-set name. */
export function _notFound(name: string): _HttpError {
  return new _HttpError(404, "NOT_FOUND", `Cannot find rule set "${name}"`);
}
