/**
 * The HTTP service as a Hono app: rule-set upload and storage, counters, and
 * streaming filtering. Speaks only Web-standard `Request`/`Response`/streams;
 * storage, clock, limits and the token are injected.
 *
 * @module
 */
import { type Context, Hono } from "hono";
import { type CompiledRuleSet, compileRuleSet } from "../rules/compile_rule_set.ts";
import { formatRuleSet } from "../rules/format_rule_set.ts";
import { parseRuleSet } from "../rules/parse_rule_set.ts";
import type { RuleSet, RuleSetCounters } from "../rules/rule_set.ts";
import { RuleSetError } from "../rules/rule_set_error.ts";
import type { RuleSetStore } from "./rule_set_store.ts";
import { _checkModel } from "./_check_model.ts";
import { _fromVector, _toVector } from "./_counter_vector.ts";
import { _captureProblem, type _ErrorBody, _HttpError, _ruleSetProblem } from "./_http_error.ts";
import { _readBody } from "./_read_body.ts";
import { _createRouter, type _Router } from "./_router.ts";
import { _timingSafeEqual } from "./_timing_safe_equal.ts";
import { _registerWorkbenchRoutes, type WorkbenchAssets } from "./workbench_routes.ts";

/** Limits of {@linkcode AppDeps}. */
export interface AppLimits {
  /** Largest rule-set body in bytes (larger: 413). @default {1048576} */
  maxBodyBytes: number;
  /** Most rules in a rule set, over all chains (more: 400). @default {10000} */
  maxRules: number;
  /** Largest `--bytecode` program: 64 as xt_bpf, or up to 4096 (longer: 400). @default {64} */
  maxInstructions: number;
}

/** What {@linkcode createApp} needs from its host. */
export interface AppDeps {
  /** Where rule sets and flushed counters are kept. */
  store: RuleSetStore;
  /** Bearer token for mutating routes; none: they are open (loopback use only). */
  token?: string;
  /** Which routes need the token: `"mutating"` (PUT, DELETE, counter flush) or `"all"`. @default {"mutating"} */
  protect?: "mutating" | "all";
  /** The clock. @default {() => new Date()} */
  now?: () => Date;
  /** Body, rule and program limits (see {@linkcode AppLimits}). */
  limits?: Partial<AppLimits>;
  /** How BPF programs are compiled: `"closure"` runs everywhere (no code generation). @default {"closure"} */
  strategy?: "closure" | "source";
  /** Flush per-instance counters to the store this often (0: only on demand). @default {0} */
  counterFlushIntervalMs?: number;
  /** Stops watching the store and flushing when aborted. */
  signal?: AbortSignal;
  /** Called with unexpected errors (those that become a 500 or end a stream). */
  onError?: (error: unknown) => void;
  /** The rule-set workbench's files, served at `/` (none: no page). */
  workbench?: WorkbenchAssets;
}

/**
 * What {@linkcode createApp} returns: a Hono app, typed by the two entry
 * points every runtime uses (`fetch` for servers, `request` for tests).
 */
export interface BpfstreamApp {
  /** Handles one request (`Deno.serve(app.fetch)`, `export default { fetch }`). */
  fetch(request: Request, ...rest: unknown[]): Response | Promise<Response>;
  /** Handles a request given as a path or URL, without a server (tests). */
  request(input: string | URL | Request, init?: RequestInit): Response | Promise<Response>;
}

/** A rule-set version compiled on this instance, shared by every stream that uses it. */
interface _Loaded {
  version: number;
  updatedAt: string;
  loadedAt: string;
  text: string;
  ruleSet: RuleSet;
  compiled: CompiledRuleSet;
  /** The counter vector already added to the store. */
  flushed: number[];
}

/** What this instance knows of one rule-set name. */
interface _Entry {
  loaded: _Loaded | undefined;
  routers: Set<_Router>;
  streams: { active: number; completed: number; failed: number };
  errors: Record<string, unknown>[];
}

const _NAME = /^[A-Za-z0-9_.-]{1,64}$/;
const _MAX_ERRORS = 32;
const _MAX_PUT_ATTEMPTS = 16;
/** After a capture error, at most this much of the rest of the upload is read and discarded. */
const _MAX_DRAIN = 64 * 1024 * 1024;

/**
 * Builds the bpfstream HTTP service.
 *
 * Routes: `PUT /rulesets/:name` (iptables-save text, or the JSON model with
 * `Content-Type: application/json`; `If-Match: "<version>"` or
 * `If-None-Match: *` for optimistic concurrency), `GET /rulesets`,
 * `GET /rulesets/:name` (`?format=json`), `DELETE /rulesets/:name`,
 * `GET /rulesets/:name/counters` (`?scope=global`, `?format=text`),
 * `POST /rulesets/:name/counters/flush`, `POST /rulesets/:name/filter`
 * (`?output=dropped`), `GET /healthz`. Errors are JSON `{error, code, ...}`.
 *
 * @example
 * ```ts
 * import { createApp } from "./app.ts";
 * import { MemoryRuleSetStore } from "./memory_rule_set_store.ts";
 * const app = createApp({ store: new MemoryRuleSetStore() });
 * const response = await app.request("/rulesets/edge", {
 *   method: "PUT",
 *   body: "*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p udp -j DROP\nCOMMIT\n",
 * });
 * console.log(response.status, await response.json());
 * // 201 { name: "edge", version: 1, rules: 1, chains: 1 }
 * ```
 */
export function createApp(deps: AppDeps): BpfstreamApp {
  const store = deps.store;
  const now = deps.now ?? (() => new Date());
  const limits: AppLimits = {
    maxBodyBytes: deps.limits?.maxBodyBytes ?? 1024 * 1024,
    maxRules: deps.limits?.maxRules ?? 10000,
    maxInstructions: deps.limits?.maxInstructions ?? 64,
  };
  const strategy = deps.strategy ?? "closure";
  const entries = new Map<string, _Entry>();
  const signal = deps.signal ?? new AbortController().signal;

  const entry = (name: string): _Entry => {
    let e = entries.get(name);
    if (!e) {
      e = {
        loaded: undefined,
        routers: new Set(),
        streams: { active: 0, completed: 0, failed: 0 },
        errors: [],
      };
      entries.set(name, e);
    }
    return e;
  };

  const compile = (text: string, version: number, updatedAt: string): _Loaded => {
    const ruleSet = parseRuleSet(text, { maxInstructions: limits.maxInstructions });
    const compiled = compileRuleSet(ruleSet, { strategy, maxInstructions: limits.maxInstructions });
    const flushed = _toVector(ruleSet, compiled.counters());
    return { version, updatedAt, loadedAt: now().toISOString(), text, ruleSet, compiled, flushed };
  };

  const flush = async (name: string, loaded: _Loaded): Promise<void> => {
    const vector = _toVector(loaded.ruleSet, loaded.compiled.counters());
    const deltas: [number, number][] = [];
    vector.forEach((value, i) => {
      if (value !== loaded.flushed[i]) deltas.push([i, value - loaded.flushed[i]]);
    });
    if (deltas.length === 0) return;
    loaded.flushed = vector;
    try {
      await store.addCounters(name, loaded.version, deltas);
    } catch (error) {
      for (const [i, delta] of deltas) loaded.flushed[i] -= delta;
      throw error;
    }
  };

  const flushQuietly = (name: string, loaded: _Loaded) => {
    flush(name, loaded).catch((error) => deps.onError?.(error));
  };

  /** Makes `loaded` current unless a newer version is; returns the current one. */
  const install = (name: string, loaded: _Loaded): _Loaded => {
    const e = entry(name);
    const old = e.loaded;
    if (old && old.version >= loaded.version) return old;
    e.loaded = loaded;
    for (const router of e.routers) router.setRuleSet(loaded.compiled);
    if (old) flushQuietly(name, old);
    return loaded;
  };

  const forget = (name: string) => {
    const e = entries.get(name);
    if (!e?.loaded) return;
    flushQuietly(name, e.loaded);
    e.loaded = undefined;
  };

  /** The current version of `name` as stored, compiled on this instance. */
  const current = async (name: string): Promise<_Loaded | null> => {
    const version = await store.version(name);
    if (version === null) {
      forget(name);
      return null;
    }
    const known = entries.get(name)?.loaded;
    if (known && known.version >= version) return known;
    const stored = await store.get(name);
    if (!stored) return current(name);
    let loaded: _Loaded;
    try {
      loaded = compile(stored.text, stored.version, stored.updatedAt);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      throw new _HttpError(
        500,
        "STORED_RULE_SET_INVALID",
        `Cannot load rule set "${name}" version ${stored.version}: ${message}`,
      );
    }
    return install(name, loaded);
  };

  const currentOr404 = async (name: string): Promise<_Loaded> => {
    const loaded = await current(name);
    if (!loaded) throw _notFound(name);
    return loaded;
  };

  // Every instance sharing the store picks up new versions of the rule sets it uses.
  store.watch((name) => {
    const names = name !== undefined ? [name] : [...entries.keys()];
    for (const n of names) {
      const e = entries.get(n);
      if (e && (e.loaded || e.routers.size > 0)) {
        current(n).catch((error) => deps.onError?.(error));
      }
    }
  }, signal);
  if (deps.counterFlushIntervalMs && deps.counterFlushIntervalMs > 0 && !signal.aborted) {
    const timer = setInterval(() => {
      for (const [name, e] of entries) if (e.loaded) flushQuietly(name, e.loaded);
    }, deps.counterFlushIntervalMs);
    signal.addEventListener("abort", () => clearInterval(timer), { once: true });
  }

  const app = new Hono();

  app.onError((error, c) => {
    if (error instanceof _HttpError) {
      return c.json(error.body, error.status as 400, error.headers);
    }
    if (error instanceof RuleSetError) {
      const problem = _ruleSetProblem(error);
      return c.json(problem.body, 400);
    }
    deps.onError?.(error);
    return c.json({ error: "Cannot handle request: internal error", code: "INTERNAL" }, 500);
  });
  app.notFound((c) =>
    c.json({
      error: `Cannot route request: no route for ${c.req.method} ${new URL(c.req.url).pathname}`,
      code: "ROUTE_NOT_FOUND",
    }, 404)
  );

  if (deps.workbench) _registerWorkbenchRoutes(app, deps.workbench);

  app.use("*", async (c, next) => {
    if (deps.token !== undefined && _needsToken(c.req.method, c.req.path, deps.protect)) {
      const header = c.req.header("authorization") ?? "";
      const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
      if (!match || !(await _timingSafeEqual(match[1], deps.token))) {
        throw new _HttpError(
          401,
          "UNAUTHORIZED",
          match
            ? "Cannot authorize request: wrong bearer token"
            : 'Cannot authorize request: missing "Authorization: Bearer <token>" header',
          undefined,
          { "WWW-Authenticate": 'Bearer realm="bpfstream"' },
        );
      }
    }
    await next();
  });

  app.get("/healthz", (c) => {
    let active = 0;
    for (const e of entries.values()) active += e.streams.active;
    return c.json({ status: "ok", streams: active });
  });

  app.get("/rulesets", async (c) => c.json({ ruleSets: await store.list() }));

  app.put("/rulesets/:name", async (c) => {
    const name = _name(c);
    const ifMatch = _ifMatch(c.req.header("if-match"));
    const createOnly = c.req.header("if-none-match")?.trim() === "*";
    const bytes = await _readBody(c.req.raw, limits.maxBodyBytes);
    let text: string;
    try {
      text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    } catch {
      throw new _HttpError(400, "INVALID_ENCODING", "Cannot read rule set: the body is not UTF-8");
    }
    let ruleSet: RuleSet;
    const json = /^application\/([\w.+-]*\+)?json\b/i.test(c.req.header("content-type") ?? "");
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
      ruleSet = _checkModel(value);
    } else {
      ruleSet = parseRuleSet(text, { maxInstructions: limits.maxInstructions });
    }
    const rules = ruleSet.chains.reduce((n, chain) => n + chain.rules.length, 0);
    if (rules > limits.maxRules) {
      throw new _HttpError(
        400,
        "TOO_MANY_RULES",
        `Cannot accept rule set: it has ${rules} rules, more than the limit of ${limits.maxRules}`,
        { rules, limit: limits.maxRules },
      );
    }
    const compiled = compileRuleSet(ruleSet, {
      strategy,
      maxInstructions: limits.maxInstructions,
    });
    if (json) {
      // Stored as text; it must read back as the same rule set.
      text = formatRuleSet(ruleSet);
      ruleSet = parseRuleSet(text, { maxInstructions: limits.maxInstructions });
    }
    const updatedAt = now().toISOString();
    for (let attempt = 0;; attempt++) {
      let expected: number | null;
      if (typeof ifMatch === "number") expected = ifMatch;
      else if (createOnly) expected = null;
      else {
        expected = await store.version(name);
        if (ifMatch === "*" && expected === null) throw _mismatch(name, null);
      }
      const result = await store.put(name, text, expected, updatedAt);
      if (result.ok) {
        const flushed = _toVector(ruleSet, compiled.counters());
        install(name, {
          version: result.version,
          updatedAt,
          loadedAt: updatedAt,
          text,
          ruleSet,
          compiled,
          flushed,
        });
        c.header("ETag", `"${result.version}"`);
        if (result.created) c.header("Location", `/rulesets/${name}`);
        return c.json(
          { name, version: result.version, rules, chains: ruleSet.chains.length },
          result.created ? 201 : 200,
        );
      }
      if (typeof ifMatch === "number" || createOnly) throw _mismatch(name, result.current);
      if (attempt + 1 >= _MAX_PUT_ATTEMPTS) {
        throw new _HttpError(
          409,
          "CONFLICT",
          `Cannot store rule set "${name}": too many concurrent uploads, try again`,
        );
      }
    }
  });

  app.get("/rulesets/:name", async (c) => {
    const name = _name(c);
    const format = _choice(c, "format", ["text", "json"]);
    const loaded = await currentOr404(name);
    c.header("ETag", `"${loaded.version}"`);
    c.header("X-Bpfstream-Version", String(loaded.version));
    c.header("Last-Modified", new Date(loaded.updatedAt).toUTCString());
    if (format === "json") return c.json(loaded.ruleSet);
    return c.text(loaded.text);
  });

  app.delete("/rulesets/:name", async (c) => {
    const name = _name(c);
    const ifMatch = _ifMatch(c.req.header("if-match"));
    for (let attempt = 0;; attempt++) {
      const version = typeof ifMatch === "number" ? ifMatch : await store.version(name);
      if (version === null) throw _notFound(name);
      if (await store.delete(name, version)) {
        forget(name);
        return c.json({ name, version, deleted: true });
      }
      if (typeof ifMatch === "number") throw _mismatch(name, await store.version(name));
      if (attempt + 1 >= _MAX_PUT_ATTEMPTS) {
        throw new _HttpError(
          409,
          "CONFLICT",
          `Cannot delete rule set "${name}": it keeps changing`,
        );
      }
    }
  });

  app.get("/rulesets/:name/counters", async (c) => {
    const name = _name(c);
    const scope = _choice(c, "scope", ["instance", "global"]);
    const format = _choice(c, "format", ["json", "text"]);
    const loaded = await currentOr404(name);
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
    if (format === "text") return c.text(formatRuleSet(loaded.ruleSet, counters));
    const e = entry(name);
    return c.json({
      name,
      version: loaded.version,
      loadedAt: loaded.loadedAt,
      scope,
      counters,
      streams: e.streams,
      errors: e.errors,
    });
  });

  app.post("/rulesets/:name/counters/flush", async (c) => {
    const name = _name(c);
    const loaded = await currentOr404(name);
    await flush(name, loaded);
    return c.json({ name, version: loaded.version, flushed: true });
  });

  app.post("/rulesets/:name/filter", async (c) => {
    const name = _name(c);
    const output = _choice(c, "output", ["accepted", "dropped"]);
    const loaded = await currentOr404(name);
    const body = c.req.raw.body;
    if (!body) throw _badCapture("the request has no body");
    const input = body.getReader();
    // Peek at the magic number: a body that is no capture at all gets a 400.
    const head: Uint8Array[] = [];
    let have = 0;
    while (have < 4) {
      const { done, value } = await input.read();
      if (done) break;
      if (value.length > 0) head.push(value);
      have += value.length;
    }
    const magic = _magic(head);
    if (magic === null) {
      input.cancel().catch(() => {});
      throw _badCapture(
        have < 4
          ? `the body has ${have} bytes, too few for a capture header`
          : `bad magic number 0x${
            head[0][0].toString(16).padStart(2, "0")
          }... (not pcap or pcapng) at byte offset 0`,
      );
    }

    const e = entry(name);
    const router = _createRouter(e.loaded?.compiled ?? loaded.compiled, output);
    const stream = crypto.randomUUID();
    const version = e.loaded?.version ?? loaded.version;
    e.routers.add(router);
    e.streams.active++;
    let bytesIn = 0;
    let bytesOut = 0;
    let ended = false;
    const end = (error?: unknown) => {
      if (ended) return;
      ended = true;
      e.routers.delete(router);
      e.streams.active--;
      if (error === undefined) {
        e.streams.completed++;
        return;
      }
      e.streams.failed++;
      const problem: _ErrorBody = _captureProblem(error);
      e.errors.push({
        stream,
        version,
        at: now().toISOString(),
        bytesIn,
        bytesOut,
        ...problem,
      });
      if (e.errors.length > _MAX_ERRORS) e.errors.shift();
    };

    // Request body → router. When the router ends early (a capture error),
    // the rest of the upload is read and discarded so that the response can
    // end cleanly instead of the connection being reset under the client.
    const writer = router.writable.getWriter();
    let writing = true;
    let drained = 0;
    const feed = async (chunk: Uint8Array) => {
      bytesIn += chunk.length;
      if (!writing) {
        drained += chunk.length;
        if (drained > _MAX_DRAIN) throw new Error("the upload continued after a capture error");
        return;
      }
      try {
        await writer.ready;
      } catch {
        writing = false;
        return;
      }
      writer.write(chunk).catch(() => {});
    };
    (async () => {
      for (const chunk of head) await feed(chunk);
      while (true) {
        const { done, value } = await input.read();
        if (done) break;
        await feed(value);
      }
      if (writing) await writer.close().catch(() => {});
    })().catch((error) => {
      // The upload broke (client gone) or was too long after an error: stop both sides.
      input.cancel(error).catch(() => {});
      writer.abort(error).catch(() => {});
    });

    // Router → response. A capture error ends the response cleanly after the
    // accepted frames (a valid, shorter capture) and is recorded under the
    // stream id in GET /rulesets/:name/counters.
    const accepted = router.readable.getReader();
    const response = new ReadableStream<Uint8Array>({
      async pull(controller) {
        let result: ReadableStreamReadResult<Uint8Array>;
        try {
          result = await accepted.read();
        } catch (error) {
          end(error);
          controller.close();
          return;
        }
        if (!result.done) {
          bytesOut += result.value.length;
          controller.enqueue(result.value);
          return;
        }
        end();
        controller.close();
      },
      cancel(reason) {
        end(reason ?? new Error("the client closed the response"));
        accepted.cancel(reason).catch(() => {});
        input.cancel(reason).catch(() => {});
      },
    }, { highWaterMark: 0 });
    return new Response(response, {
      status: 200,
      headers: {
        "Content-Type": magic === "pcapng"
          ? "application/x-pcapng"
          : "application/vnd.tcpdump.pcap",
        "Cache-Control": "no-store",
        "X-Bpfstream-Stream": stream,
        "X-Bpfstream-Version": String(version),
      },
    });
  });

  return app as BpfstreamApp;
}

function _needsToken(method: string, path: string, protect: "mutating" | "all" | undefined) {
  if (protect === "all") return path !== "/healthz";
  if (method === "GET" || method === "HEAD" || method === "OPTIONS") return false;
  return !(method === "POST" && /\/filter\/?$/.test(path));
}

function _name(c: Context): string {
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

function _choice<T extends string>(c: Context, key: string, allowed: readonly T[]): T {
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

/** `If-Match: "3"` → 3, `If-Match: *` → `"*"`, absent → undefined. */
function _ifMatch(header: string | undefined): number | "*" | undefined {
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

function _mismatch(name: string, current: number | null): _HttpError {
  return new _HttpError(
    412,
    "VERSION_MISMATCH",
    current === null
      ? `Cannot store rule set "${name}": the precondition failed (it does not exist)`
      : `Cannot store rule set "${name}": the precondition failed (current version is ${current})`,
    { current },
  );
}

function _notFound(name: string): _HttpError {
  return new _HttpError(404, "NOT_FOUND", `Cannot find rule set "${name}"`);
}

function _badCapture(reason: string): _HttpError {
  return new _HttpError(400, "CAPTURE_FORMAT", `Cannot decode capture: ${reason}`, {
    byteOffset: 0,
    recordIndex: 0,
    packetIndex: 0,
  });
}

/** The capture format from the first 4 bytes, or null. */
function _magic(head: Uint8Array[]): "pcap" | "pcapng" | null {
  const bytes: number[] = [];
  for (const chunk of head) {
    for (const byte of chunk) {
      if (bytes.length < 4) bytes.push(byte);
    }
  }
  if (bytes.length < 4) return null;
  const value = ((bytes[0] << 24) | (bytes[1] << 16) | (bytes[2] << 8) | bytes[3]) >>> 0;
  if (value === 0x0a0d0d0a) return "pcapng";
  for (const magic of [0xa1b2c3d4, 0xa1b23c4d, 0xa1b2cd34]) {
    const swapped = ((magic & 0xff) << 24 | (magic & 0xff00) << 8 | (magic >>> 8) & 0xff00 |
      magic >>> 24) >>> 0;
    if (value === magic || value === swapped) return "pcap";
  }
  return null;
}
