/**
 * The page's side of the filtering worker: sends requests, routes replies.
 *
 * @module
 */
/// <reference lib="dom" />
import type { PacketRow, PacketTrace, WorkerReply, WorkerRequest } from "./messages.ts";

type _Done = Extract<WorkerReply, { type: "done" }>;
type _Progress = Extract<WorkerReply, { type: "progress" }>;
type _Captures = Extract<WorkerReply, { type: "captures" }>;

/** Talks to `worker.js` (a module worker beside the page's script). */
export class WorkerClient {
  readonly #worker: Worker;
  #nextId = 1;
  readonly #waiting = new Map<number, (reply: WorkerReply) => void>();
  /** Called with filter progress. */
  onProgress: (progress: _Progress) => void = () => {};
  /** Called when a filter run ends. */
  onDone: (done: _Done) => void = () => {};
  /** Called when the accepted and dropped captures of a run are ready. */
  onCaptures: (captures: _Captures) => void = () => {};
  /** Called when the packet list's index is ready, with the time it took. */
  onIndexed: (elapsedMs: number) => void = () => {};
  /** Called with an error of the worker. */
  onError: (message: string) => void = () => {};

  constructor(url: URL) {
    this.#worker = new Worker(url, { type: "module" });
    this.#worker.onmessage = (event: MessageEvent<WorkerReply>) => this.#receive(event.data);
    this.#worker.onerror = (event) => this.onError(event.message || "the worker failed");
  }

  #receive(reply: WorkerReply): void {
    if (reply.type === "progress") this.onProgress(reply);
    else if (reply.type === "done") this.onDone(reply);
    else if (reply.type === "captures") this.onCaptures(reply);
    else if (reply.type === "indexed") this.onIndexed(reply.elapsedMs);
    else if (reply.type === "error") this.onError(reply.message);
    else {
      const resolve = this.#waiting.get(reply.id);
      this.#waiting.delete(reply.id);
      resolve?.(reply);
    }
  }

  #send(request: WorkerRequest): void {
    this.#worker.postMessage(request);
  }

  /** Starts filtering `capture` with the rule-set text. */
  filter(capture: Blob, rules: string): void {
    this.#send({ type: "filter", capture, rules });
  }

  /** Rows `[from, to)` of the packet list. */
  rows(from: number, to: number): Promise<PacketRow[]> {
    const id = this.#nextId++;
    return new Promise((resolve) => {
      this.#waiting.set(id, (reply) => resolve(reply.type === "rows" ? reply.rows : []));
      this.#send({ type: "rows", id, from, to });
    });
  }

  /** The trace of one packet's deciding rule. */
  trace(packet: number): Promise<PacketTrace | undefined> {
    const id = this.#nextId++;
    return new Promise((resolve) => {
      this.#waiting.set(id, (reply) => resolve(reply.type === "trace" ? reply.trace : undefined));
      this.#send({ type: "trace", id, packet });
    });
  }
}
