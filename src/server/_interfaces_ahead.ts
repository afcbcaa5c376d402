/**
 * Link-base programs made for a filter stream's capture interfaces before
 * its frames are routed.
 *
 * A link-base `--expr` is compiled for the capture interface a frame arrives
 * on (its link type, and byte order for BSD loopback; src/rules/_match_tests.ts
 * `_linkKey`).
 * After a compile the server makes every test ahead, the link-base ones for
 * little-endian Ethernet (src/rules/_make_tests_ahead.ts). A frame on another
 * interface would make them on first use, inside the frame: for a 10,000-rule
 * set, seconds of the event loop (there is no interpreted form without the
 * program). So each piece of a stream's upload is first read by a capture
 * decoder of its own (headers only matter: the pcap file header, pcapng
 * Interface Description Blocks), and while the set has link-base programs the
 * programs for each interface it declares are made, in slices, before the
 * piece goes to the router. Every stream is watched, whatever set it starts
 * on (a PUT may bring link-base rules to it while it runs): a pcap upload is
 * read up to its header only (one interface); of a pcapng upload the watch's
 * decoder gets the Section Header and Interface Description Blocks only, the
 * packet blocks skipped by their lengths (src/capture/_pcapng_declaration_blocks.ts).
 *
 * Bounds: the watch holds at most one block it has not seen whole (at most
 * the decoder's `maxBlockLength`), and its decoder caps interfaces as the
 * router's does; per rule set, one making pass per distinct interface key
 * (at most 14: `_linkKey`), shared by every stream; one pass runs at a time.
 *
 * @module
 */
import { CaptureDecoder, type CaptureDecoderOptions } from "../capture/capture_decoder.ts";
import { _DEFAULT_MAX_BLOCK_LENGTH } from "../capture/_pcap_layout.ts";
import type { CaptureInterface } from "../capture/capture_interface.ts";
import { _PcapngDeclarationBlocks } from "../capture/_pcapng_declaration_blocks.ts";
import type { CompiledRuleSet } from "../rules/compiled_rule_set.ts";
import { _hasLinkPrograms, _makeTestsAhead } from "../rules/_make_tests_ahead.ts";
import { _linkKey } from "../rules/_match_tests.ts";

/** Per compiled set, its making passes by interface key (done, under way or queued). */
const _passes = new WeakMap<CompiledRuleSet, Map<string | number, Promise<void>>>();

/**
 * The last making pass queued, over every set: passes run one at a time, as
 * the slices of several at once would run back to back in one turn of the
 * event loop (their timers come due together).
 */
let _lastPass: Promise<unknown> = Promise.resolve();

/** Per compiled set, whether it has link-base programs (read once). */
const _linked = new WeakMap<CompiledRuleSet, boolean>();

function _hasLinked(compiled: CompiledRuleSet): boolean {
  let linked = _linked.get(compiled);
  if (linked === undefined) _linked.set(compiled, linked = _hasLinkPrograms(compiled));
  return linked;
}

/** Makes the link-base programs of `compiled` for `captureInterface`, once per key and set. */
function _makeFor(
  compiled: CompiledRuleSet,
  captureInterface: CaptureInterface,
  sliceMilliseconds: number,
): Promise<void> {
  let passes = _passes.get(compiled);
  if (passes === undefined) _passes.set(compiled, passes = new Map());
  const key = _linkKey(captureInterface.linkType, captureInterface);
  let pass = passes.get(key);
  if (pass === undefined) {
    pass = _lastPass.then(() => _makeTestsAhead(compiled, { sliceMilliseconds, captureInterface }));
    _lastPass = pass.catch(() => {});
    passes.set(key, pass);
  }
  return pass;
}

/** The watch of a stream on a capture of `format` (see the module). */
export function _interfacesAhead(
  decoder: CaptureDecoderOptions,
  sliceMilliseconds: number,
  format: "pcap" | "pcapng",
): _InterfacesAhead {
  return new _InterfacesAhead(decoder, sliceMilliseconds, format);
}

/** Watches one stream's upload for the capture interfaces it declares. */
export class _InterfacesAhead {
  readonly #decoder: CaptureDecoder;
  readonly #sliceMilliseconds: number;
  /** Of a pcapng upload: its declaration blocks, the packet blocks skipped. */
  readonly #declarations: _PcapngDeclarationBlocks | undefined;
  /** Interfaces whose programs were asked for, of set `#madeFor`. */
  #seen = 0;
  #madeFor: CompiledRuleSet | undefined;
  #failed = false;
  /** Whether the upload can declare no more interfaces (a pcap file after its header). */
  #complete = false;

  /**
   * `decoder`: the router's decoder limits; `sliceMilliseconds`: the making's
   * slices; `format`: the upload's (from its magic).
   */
  constructor(
    decoder: CaptureDecoderOptions,
    sliceMilliseconds: number,
    format: "pcap" | "pcapng",
  ) {
    this.#decoder = new CaptureDecoder(decoder);
    this.#sliceMilliseconds = sliceMilliseconds;
    this.#declarations = format === "pcapng"
      ? new _PcapngDeclarationBlocks(decoder.maxBlockLength ?? _DEFAULT_MAX_BLOCK_LENGTH)
      : undefined;
  }

  /** Interfaces declared so far (tests read it). */
  get interfaces(): readonly CaptureInterface[] {
    return this.#decoder.interfaces;
  }

  /**
   * Reads the next piece of the upload (pieces in stream order) and, when it
   * declares interfaces and `compiled` has link-base programs, resolves once
   * they are made for them; `undefined` when there is nothing to wait for.
   * After a capture format error it reads nothing more (the router reports
   * the error).
   */
  read(piece: Uint8Array, compiled: CompiledRuleSet): Promise<unknown> | undefined {
    if (this.#failed) return undefined;
    if (this.#declarations !== undefined) this.#readDeclarations(piece);
    else if (!this.#complete) {
      this.#failed = this.#decoder.push(piece).error !== undefined;
      // A pcap file declares its one interface in its header: the rest is records.
      this.#complete = this.#decoder.interfaces.length > 0;
    }
    const interfaces = this.#decoder.interfaces;
    // Another version of the set (a PUT while the stream runs): every interface again.
    if (compiled !== this.#madeFor) this.#seen = 0;
    this.#madeFor = compiled;
    if (interfaces.length === this.#seen) return undefined;
    const declared = interfaces.slice(this.#seen);
    this.#seen = interfaces.length;
    if (!_hasLinked(compiled)) return undefined;
    return Promise.all(declared.map((i) => _makeFor(compiled, i, this.#sliceMilliseconds)));
  }

  /** Gives the decoder the declaration blocks `piece` completes (pcapng). */
  #readDeclarations(piece: Uint8Array): void {
    const declarations = this.#declarations!;
    for (const block of declarations.push(piece)) {
      if (this.#decoder.push(block).error !== undefined) {
        this.#failed = true;
        return;
      }
    }
    this.#failed = declarations.failed;
  }
}
