/**
 * Private: a fresh per-frame state (./_frame_state.ts) for a classifier.
 *
 * @module
 */
import type { FrameRef } from "./frame_ref.ts";
import type { FrameContext } from "./frame_context.ts";
import { type _Frame, _newWindow } from "./_frame_state.ts";
import { _C_ALL } from "./_frame_class.ts";

/**
 * A frame state over `contexts` (whose descriptor and two contexts it
 * shares), before its first frame: no frame, no bytes, every class.
 */
export function _newFrameState(contexts: FrameContext): _Frame {
  return {
    frame: undefined as unknown as FrameRef,
    bytes: new Uint8Array(0),
    descriptor: contexts.descriptor,
    isIp: false,
    networkStart: 0,
    network: contexts.network,
    link: contexts.link,
    networkWindow: _newWindow(),
    linkWindow: _newWindow(),
    frameClass: _C_ALL,
  };
}
