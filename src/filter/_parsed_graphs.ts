/**
 * Private: block graphs that `_compileUnoptimised` laid out, left for
 * `compileFilter` to optimise. A rule set checks each `--expr` with its
 * unoptimised program when it is parsed, then compiles it optimised: with
 * the graph handed over, the expression is parsed and generated once.
 *
 * A graph is taken at most once (the optimiser changes it). Bound: at most
 * `_MAX_HELD_INSTRUCTIONS` instructions' worth of graphs (counted by their
 * unoptimised programs) are held, the oldest forgotten first, and only
 * graphs whose unoptimised program has at most 256 instructions (laying
 * those out adds no `ja` trampoline, so the graph is still the generator's).
 *
 * @module
 */
import type { _Block } from "./_cfg.ts";

/** Most instructions' worth of graphs held (a few MB). */
export const _MAX_HELD_INSTRUCTIONS = 65536;
/** Longest unoptimised program whose graph is held. */
export const _MAX_HELD_PROGRAM = 256;

/** A generated graph and what the generator learnt making it. */
export interface _ParsedGraph {
  root: _Block;
  hasProtochain: boolean;
  /** Instructions of its unoptimised program. */
  instructions: number;
}

/** Graphs by link type and expression, oldest first. */
export class _ParsedGraphs {
  readonly #graphs = new Map<string, _ParsedGraph>();
  readonly #limit: number;
  #instructions = 0;

  /** Holding at most `limit` instructions' worth. */
  constructor(limit = _MAX_HELD_INSTRUCTIONS) {
    this.#limit = limit;
  }

  /** Instructions' worth held now. */
  get instructions(): number {
    return this.#instructions;
  }

  /** Graphs held now. */
  get graphs(): number {
    return this.#graphs.size;
  }

  /** Holds `graph` for (linkType, expression), unless it is too large. */
  hold(linkType: number, expression: string, graph: _ParsedGraph): void {
    if (graph.instructions > _MAX_HELD_PROGRAM || graph.instructions > this.#limit) return;
    const key = `${linkType} ${expression}`;
    const old = this.#graphs.get(key);
    if (old !== undefined) {
      this.#graphs.delete(key);
      this.#instructions -= old.instructions;
    }
    this.#graphs.set(key, graph);
    this.#instructions += graph.instructions;
    if (this.#instructions <= this.#limit) return;
    for (const [oldest, held] of this.#graphs) {
      if (this.#instructions <= this.#limit) break;
      this.#graphs.delete(oldest);
      this.#instructions -= held.instructions;
    }
  }

  /** The graph held for (linkType, expression), no longer held; or undefined. */
  take(linkType: number, expression: string): _ParsedGraph | undefined {
    const key = `${linkType} ${expression}`;
    const graph = this.#graphs.get(key);
    if (graph === undefined) return undefined;
    this.#graphs.delete(key);
    this.#instructions -= graph.instructions;
    return graph;
  }
}
