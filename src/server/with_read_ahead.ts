/**
 * {@linkcode withReadAhead}: a `fetch` handler wrapper for `Deno.serve`.
 *
 * @module
 */
import { _readAhead } from "./_read_ahead.ts";

/** A `fetch` handler as `createApp` returns and `Deno.serve` takes. */
export type FetchHandler = (request: Request, ...rest: never[]) => Response | Promise<Response>;

/**
 * Wraps a handler so that the request body is read ahead and the response
 * body is written in joined chunks (see `_readAhead`). On `Deno.serve`, a
 * large upload that is streamed into the response (as `POST
 * /rulesets/:name/filter` does) otherwise slows down more than linearly: a
 * 200 MB capture took 46 s instead of 1.5 s (bench/RESULTS.md, issue 17).
 * Other servers do not need it; it changes no byte, status or header.
 *
 * @example
 * ```ts
 * import assert from "node:assert";
 * import { withReadAhead } from "./with_read_ahead.ts";
 * const echo = withReadAhead((request: Request) => new Response(request.body, { status: 201 }));
 * const response = await echo(new Request("http://x/", { method: "POST", body: "abc" }));
 * assert.strictEqual(response.status, 201);
 * assert.strictEqual(await response.text(), "abc");
 * ```
 */
export function withReadAhead<H extends FetchHandler>(handler: H): H {
  const wrapped = async (request: Request, ...rest: never[]): Promise<Response> => {
    const body = request.body;
    const forwarded = body === null ? request : new Request(request.url, {
      method: request.method,
      headers: request.headers,
      body: _readAhead(body, { maxChunkBytes: _CHUNK }),
      // @ts-ignore: `duplex` is required for a stream body (fetch standard), not yet in lib.dom
      duplex: "half",
    });
    const response = await handler(forwarded, ...rest);
    if (response.body === null) return response;
    return new Response(_readAhead(response.body, { maxChunkBytes: _CHUNK }), response);
  };
  return wrapped as H;
}

/** Measured on loopback: 64 KiB does as well as larger joins without their copies. */
const _CHUNK = 64 * 1024;
