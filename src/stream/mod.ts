/**
 * The router (`bpfstream/stream`): a `TransformStream` from capture bytes to
 * the accepted capture, with the dropped frames as an optional second capture.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { RouterStream } from "./mod.ts";
 * import { compileRuleSet, parseRuleSet } from "../rules/mod.ts";
 * const router = new RouterStream(compileRuleSet(parseRuleSet("-A INPUT -j DROP\n")));
 * const header = new Uint8Array([
 *   0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 1, 0, 0, 0,
 * ]);
 * const accepted = await new Response(ReadableStream.from([header]).pipeThrough(router)).bytes();
 * assert.deepEqual(accepted, header); // the file header goes to both sides
 * assert.equal((await router.stats).input.packets, 0);
 * ```
 *
 * @module
 */
export { RouterStream, type RouterStreamOptions } from "./router_stream.ts";
export type { RouterStats, RouterTotals } from "./router_stats.ts";
/** Deprecated alias, kept for one release (see the README's migration note). */
export type { RouterFrameContext } from "./router_stream.ts";
