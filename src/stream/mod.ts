/**
 * The router: a `TransformStream` from capture bytes to the accepted capture,
 * with the dropped frames as an optional second capture.
 *
 * @module
 */
export {
  type RouterFrameContext,
  RouterStream,
  type RouterStreamOptions,
} from "./router_stream.ts";
export type { RouterStats, RouterTotals } from "./router_stats.ts";
