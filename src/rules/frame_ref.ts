/**
 * {@linkcode FrameRef}: one frame as the router hands it to a compiled rule
 * set, and {@linkcode createFrameRef}.
 *
 * @module
 */
import type { FilterInterface } from "../filter/filter_options_for_interface.ts";

/**
 * One frame as the router hands it to {@linkcode CompiledRuleSet.classify}:
 * a reusable, mutable object filled per frame. The frame is
 * `bytes[start .. start + capturedLength)`, so a whole input chunk can be
 * passed without slicing.
 *
 * @example
 * ```ts
 * import { compileRuleSet, createFrameRef, type FrameRef } from "./compile_rule_set.ts";
 * import { parseRuleSet } from "./parse_rule_set.ts";
 * import assert from "node:assert/strict";
 * const rules = compileRuleSet(parseRuleSet("-A INPUT -p udp -j DROP\n"));
 * // Two raw IPv4 headers back to back in one buffer: TCP (6), then UDP (17).
 * const bytes = new Uint8Array(40);
 * bytes.set([0x45, 0, 0, 20, 0, 0, 0, 0, 64, 6], 0);
 * bytes.set([0x45, 0, 0, 20, 0, 0, 0, 0, 64, 17], 20);
 * const frame: FrameRef = createFrameRef({ bytes, linkType: 101 }); // LINKTYPE_RAW
 * const verdicts = [];
 * for (const start of [0, 20]) {
 *   frame.start = start;
 *   frame.capturedLength = frame.wireLength = 20;
 *   verdicts.push(rules.classify(frame));
 * }
 * assert.deepEqual(verdicts, [true, false]);
 * ```
 */
export interface FrameRef {
  /** Buffer holding the frame (may hold other frames too). */
  bytes: Uint8Array;
  /** Index of the frame's first byte in `bytes`. */
  start: number;
  /** Captured bytes of the frame (pcap caplen). */
  capturedLength: number;
  /** Original length on the wire (pcap len). */
  wireLength: number;
  /** `LINKTYPE_*` of the frame's interface. */
  linkType: number;
  /** 0-based interface number (pcapng Interface Description Block order over
   * the whole file; 0 for pcap). `SKF_AD_IFINDEX` sees `interfaceIndex + 1`
   * (kernel ifindexes start at 1; 0 means "no device"), except on LINUX_SLL2
   * frames, which carry the real ifindex in their header. */
  interfaceIndex: number;
  /**
   * `skb->mark` for `SKF_AD_MARK`.
   *
   * @default {0}
   */
  mark?: number;
  /**
   * `skb->hash` for `SKF_AD_RXHASH`.
   *
   * @default {0}
   */
  rxhash?: number;
  /**
   * `skb->queue_mapping` for `SKF_AD_QUEUE`.
   *
   * @default {0}
   */
  queue?: number;
  /**
   * Input interface name for `-i` (e.g. the pcapng `if_name` option).
   *
   * @default {""}
   */
  interfaceName?: string;
  /**
   * Output interface name for `-o`.
   *
   * @default {""}
   */
  outInterfaceName?: string;
  /**
   * The capture interface the frame was read from (the decoder's
   * `CaptureInterface`), when known: link-base `--expr` matches are then
   * compiled as `tcpdump -r` compiles them for that file
   * (`filterOptionsForInterface`), else as `pcap_open_dead` for `linkType`.
   *
   * @default {undefined}
   */
  captureInterface?: FilterInterface;
}

const _NO_BYTES = new Uint8Array(0);

/**
 * A new reusable {@linkcode FrameRef}: every field present (so that every
 * frame a classifier sees has one shape), zero or empty unless `init` gives
 * it. Fill `bytes`, `start`, the lengths, `linkType` and `interfaceIndex` per
 * frame and pass the same object to {@linkcode CompiledRuleSet.classify}.
 *
 * @param init Fields to start from (the per-capture ones: `mark`, `rxhash`,
 * `queue`, interface names). @default {{}}
 *
 * @example
 * ```ts
 * import { createFrameRef } from "./compile_rule_set.ts";
 * import assert from "node:assert/strict";
 * const frame = createFrameRef({ mark: 7, interfaceName: "eth0" });
 * frame.bytes = new Uint8Array(60);
 * frame.capturedLength = frame.wireLength = 60;
 * frame.linkType = 1;
 * assert.deepEqual([frame.start, frame.mark, frame.interfaceName], [0, 7, "eth0"]);
 * ```
 */
export function createFrameRef(init: Partial<FrameRef> = {}): FrameRef {
  return {
    bytes: init.bytes ?? _NO_BYTES,
    start: init.start ?? 0,
    capturedLength: init.capturedLength ?? 0,
    wireLength: init.wireLength ?? 0,
    linkType: init.linkType ?? 0,
    interfaceIndex: init.interfaceIndex ?? 0,
    mark: init.mark ?? 0,
    rxhash: init.rxhash ?? 0,
    queue: init.queue ?? 0,
    interfaceName: init.interfaceName ?? "",
    outInterfaceName: init.outInterfaceName ?? "",
    captureInterface: init.captureInterface,
  };
}

/**
 * Private: makes `frame` a frame of capture interface `index`, described by
 * `description` (its link type, name and the interface itself; a capture
 * that names no interface gets `defaultName`).
 */
export function _putCaptureInterface(
  frame: FrameRef,
  index: number,
  description: FilterInterface & { readonly name?: string },
  defaultName: string,
): void {
  frame.linkType = description.linkType;
  frame.interfaceIndex = index;
  frame.interfaceName = description.name ?? defaultName;
  frame.captureInterface = description;
}
