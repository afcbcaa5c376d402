/**
 * {@linkcode _LoopBudget}: time slices of the event loop shared by every
 * filter stream of an app, so that no turn of the loop runs more than a few
 * milliseconds of filtering however many streams are busy.
 *
 * @module
 */

/** Options of {@linkcode _LoopBudget}. */
export interface _LoopBudgetOptions {
  /** Longest run of work between two yields to the event loop, ms. @default {4} */
  sliceMs?: number;
  /**
   * Most units of work (input bytes) between two yields, for runtimes whose
   * clock stands still while code runs (Cloudflare Workers). @default {1048576}
   */
  sliceUnits?: number;
  /** The clock. @default {performance.now} */
  now?: () => number;
}

/**
 * One token passed between the filter streams of an app: a stream holds it
 * while it routes one piece of input. When the slice is spent (`sliceMs`
 * since it began, or `sliceUnits` of work), the next holder waits for a
 * macrotask first. Holders are served first come, first served.
 *
 * Which macrotask matters (measured on Deno 2.9.6): a `MessageChannel`
 * message or `setImmediate` lets timers run but not new I/O — a loop of 2 ms
 * slices yielding that way delayed `fetch`es to a local server by 290 ms
 * each (median), because the runtime only polls its sockets when nothing
 * else is ready. A timer (`setTimeout(0)`) waits for a whole turn of the
 * loop, its poll for I/O included (0.2 ms), but costs 1–2 ms of idle time.
 * So: a timer when other streams wait for the token (a flood: there is
 * always input at hand, and new requests would not be read), a message when
 * one stream runs alone (it waits for its own socket often enough).
 */
export class _LoopBudget {
  readonly #sliceMs: number;
  readonly #sliceUnits: number;
  readonly #now: () => number;
  /** Start of the current slice, or -1 when none is running. */
  #sliceStart = -1;
  #units = 0;
  #held = false;
  readonly #waiters: (() => void)[] = [];
  #yielding = false;
  /** Slices started since creation (tests read it). */
  slices = 0;
  /** Yields that waited for a timer (several streams waiting; tests read it). */
  timerYields = 0;

  constructor(options: _LoopBudgetOptions = {}) {
    this.#sliceMs = options.sliceMs ?? 4;
    this.#sliceUnits = options.sliceUnits ?? 1024 * 1024;
    this.#now = options.now ?? (() => performance.now());
  }

  /**
   * Runs `work` (which does about `units` of synchronous work, then settles)
   * when the token is free and the slice has room, and gives the token back
   * when it settles.
   */
  async run<T>(units: number, work: () => T | Promise<T>): Promise<T> {
    await this.#acquire();
    try {
      return await work();
    } finally {
      this.#units += units;
      this.#release();
    }
  }

  #acquire(): Promise<void> {
    if (!this.#held && this.#waiters.length === 0 && !this.#yielding && this.#hasRoom()) {
      this.#held = true;
      if (this.#sliceStart < 0) this.#begin();
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.#waiters.push(resolve);
      if (!this.#held && !this.#yielding) this.#yieldThenServe(this.#waiters.length > 1);
    });
  }

  #release(): void {
    this.#held = false;
    if (this.#waiters.length === 0) return;
    if (this.#hasRoom()) this.#serveNext();
    else this.#yieldThenServe(true);
  }

  #hasRoom(): boolean {
    return this.#sliceStart < 0 ||
      (this.#now() - this.#sliceStart < this.#sliceMs && this.#units < this.#sliceUnits);
  }

  #begin(): void {
    this.#sliceStart = this.#now();
    this.#units = 0;
    this.slices++;
  }

  #serveNext(): void {
    this.#held = true;
    if (this.#sliceStart < 0) this.#begin();
    this.#waiters.shift()!();
  }

  /**
   * Ends the slice, waits for a macrotask (a timer when `contended`: several
   * streams want the token), then serves the first waiter in a new slice.
   */
  #yieldThenServe(contended: boolean): void {
    this.#yielding = true;
    this.#sliceStart = -1;
    if (contended) this.timerYields++;
    _macrotask(contended, () => {
      this.#yielding = false;
      if (!this.#held && this.#waiters.length > 0) this.#serveNext();
    });
  }
}

/**
 * Calls `callback` in a later task of the event loop: after a timer when
 * `timer` is set or there is no `MessageChannel`, else after a message
 * (about 0.02 ms on Deno, against 1–2 ms for a timer).
 */
function _macrotask(timer: boolean, callback: () => void): void {
  if (timer || typeof MessageChannel !== "function") {
    setTimeout(callback, 0);
    return;
  }
  const channel = new MessageChannel();
  channel.port1.onmessage = () => {
    channel.port1.close();
    channel.port2.close();
    callback();
  };
  channel.port2.postMessage(null);
}
