/**
 * The `PacketContext` a program sees for one captured frame at a match base,
 * exactly as the rule engine builds it: a {@linkcode FrameContext} fed from
 * `_readPackets`' callback arguments.
 *
 * @module
 */
import type { PacketContext } from "../bpf/packet_context.ts";
import { createFrameRef, type FrameRef } from "../rules/compile_rule_set.ts";
import { FrameContext } from "../rules/frame_context.ts";
import type { RuleBase } from "../rules/rule_set.ts";

/** One reusable frame and {@linkcode FrameContext} for one base. */
export class _FrameView {
  readonly #frame: FrameRef = createFrameRef();
  readonly #contexts = new FrameContext();
  readonly #base: RuleBase;
  /** The context of the base, filled by {@linkcode _FrameView.load}. */
  readonly context: PacketContext;

  constructor(base: RuleBase) {
    this.#base = base;
    this.context = base === "network" ? this.#contexts.network : this.#contexts.link;
  }

  /** Fills the context; false when a program at the base is not run on the frame. */
  load(
    bytes: Uint8Array,
    start: number,
    capturedLength: number,
    wireLength: number,
    linkType: number,
    interfaceIndex: number,
  ): boolean {
    const f = this.#frame;
    f.bytes = bytes;
    f.start = start;
    f.capturedLength = capturedLength;
    f.wireLength = wireLength;
    f.linkType = linkType;
    f.interfaceIndex = interfaceIndex;
    return this.#contexts.load(f, this.#base);
  }
}
