/**
 * {@linkcode _LoopBudget}: time slices of the event loop shared by every
 * filter stream of an app, so that no turn of the loop runs more than a few
 * milliseconds of filtering however many streams are busy, and several
 * busy streams together take in at most a set number of units per second.
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
  /**
   * Most units of work (input bytes) per millisecond while several holders
   * take turns (0: no limit). A single holder is not paced. @default {0}
   */
  contendedUnitsPerMs?: number;
  /**
   * Whether several holders are using the budget even when none waits for
   * the token right now (streams that alternate between routing and
   * waiting for their sockets). @default {() => false}
   */
  shared?: () => boolean;
  /** The clock. @default {performance.now} */
  now?: () => number;
  /** Calls `callback` after at least `ms` (tests record the pauses). @default {setTimeout} */
  setTimer?: (callback: () => void, ms: number) => unknown;
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
 *
 * Pacing (`contendedUnitsPerMs`): when streams take turns (or `shared` says
 * several are running, though only one wants the token now), the timer before
 * the next slice waits until the units of the slice just spent fit the rate
 * since it began, and a slice takes no more units than the rate allows in
 * `sliceMs` (shorter bursts, shorter pauses: 256 KiB per 4 ms at 64 MiB/s,
 * so that a request arriving meanwhile waits less on a machine short of
 * CPU). Many uploads at once are then read no faster than that
 * altogether, which is what keeps a loopback flood from taking every core
 * (the socket copies of the flood cost the kernel more than the filtering
 * costs the server, and they happen in the attacker's and the server's
 * system time, which no slicing of the event loop limits; bench/RESULTS.md,
 * issue 13, session 4).
 */
export class _LoopBudget {
  readonly #sliceMs: number;
  readonly #sliceUnits: number;
  readonly #now: () => number;
  readonly #unitsPerMs: number;
  readonly #setTimer: (callback: () => void, ms: number) => unknown;
  readonly #shared: () => boolean;
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
  /** Pauses asked of the timer for pacing, ms in all (tests read it). */
  pausedMs = 0;

  constructor(options: _LoopBudgetOptions = {}) {
    this.#sliceMs = options.sliceMs ?? 4;
    this.#sliceUnits = options.sliceUnits ?? 1024 * 1024;
    this.#now = options.now ?? (() => performance.now());
    this.#unitsPerMs = options.contendedUnitsPerMs ?? 0;
    this.#setTimer = options.setTimer ?? ((callback, ms) => setTimeout(callback, ms));
    this.#shared = options.shared ?? (() => false);
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
      if (!this.#held && !this.#yielding) {
        this.#yieldThenServe(this.#waiters.length > 1 || this.#shared());
      }
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
      (this.#now() - this.#sliceStart < this.#sliceMs && this.#units < this.#unitsPerSlice());
  }

  /**
   * Units a slice may take: `sliceUnits`, and while pacing applies no more
   * than the rate allows in one slice's time (shorter bursts, shorter pauses).
   */
  #unitsPerSlice(): number {
    if (this.#unitsPerMs <= 0 || !(this.#waiters.length > 1 || this.#shared())) {
      return this.#sliceUnits;
    }
    return Math.min(this.#sliceUnits, this.#unitsPerMs * this.#sliceMs);
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
   * streams want the token, as long as pacing asks), then serves the first
   * waiter in a new slice.
   */
  #yieldThenServe(contended: boolean): void {
    const pause = contended ? this.#pause() : 0;
    this.#yielding = true;
    this.#sliceStart = -1;
    const serve = () => {
      this.#yielding = false;
      if (!this.#held && this.#waiters.length > 0) this.#serveNext();
    };
    if (!contended && typeof MessageChannel === "function") {
      _afterMessage(serve);
      return;
    }
    this.timerYields++;
    this.pausedMs += pause;
    this.#setTimer(serve, pause);
  }

  /** How long the slice just spent must be followed by a pause to keep to the rate, ms. */
  #pause(): number {
    if (this.#unitsPerMs <= 0 || this.#sliceStart < 0) return 0;
    const owed = this.#units / this.#unitsPerMs - (this.#now() - this.#sliceStart);
    return owed > 0 ? owed : 0;
  }
}

/**
 * Calls `callback` in a later task of the event loop, after a message
 * (about 0.02 ms on Deno, against 1–2 ms for a timer).
 */
function _afterMessage(callback: () => void): void {
  const channel = new MessageChannel();
  channel.port1.onmessage = () => {
    channel.port1.close();
    channel.port2.close();
    callback();
  };
  channel.port2.postMessage(null);
}
