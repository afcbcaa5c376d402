/**
 * Shared helpers of the fuzz tests (tests/fuzz_*_test.ts): a seeded PRNG,
 * the seed from `FUZZ_SEED` (printed on failure so a run can be replayed),
 * and text mutators.
 *
 * Replay a failure with `FUZZ_SEED=<seed> deno test -A tests/fuzz_x_test.ts`.
 * `FUZZ_ITERATIONS_SCALE` multiplies every iteration count (for long local runs).
 *
 * @module
 */

/** A seeded random source with small helpers. */
export interface _Random {
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [0, n). */
  int(n: number): number;
  /** One of `items`. */
  pick<T>(items: readonly T[]): T;
  /** True with probability `p`. */
  chance(p: number): boolean;
  /** A uint32. */
  uint32(): number;
}

/** mulberry32: small, seeded, good enough for test data. */
export function _prng(seed: number): _Random {
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  return {
    next,
    int,
    pick: <T>(items: readonly T[]): T => items[int(items.length)],
    chance: (p: number) => next() < p,
    uint32: () => Math.floor(next() * 4294967296) >>> 0,
  };
}

/** Iterations for a test, scaled by `FUZZ_ITERATIONS_SCALE` (default 1). */
export function _iterations(n: number): number {
  const scale = Number(Deno.env.get("FUZZ_ITERATIONS_SCALE") ?? "1");
  return Math.max(1, Math.round(n * (Number.isFinite(scale) && scale > 0 ? scale : 1)));
}

/** The seed of this run: `FUZZ_SEED`, or derived from the clock. */
export function _seed(): number {
  const fromEnv = Deno.env.get("FUZZ_SEED");
  if (fromEnv !== undefined && fromEnv !== "") return Number(fromEnv) >>> 0;
  return (Date.now() ^ Math.floor(performance.now() * 1000)) >>> 0;
}

/**
 * Runs `body` with a seeded random source; on failure prints the seed, the
 * iteration and the input being tried, then rethrows.
 */
export async function _fuzz(
  name: string,
  body: (random: _Random, note: (input: unknown) => void) => void | Promise<void>,
): Promise<void> {
  const seed = _seed();
  const random = _prng(seed);
  let last: unknown = undefined;
  try {
    await body(random, (input) => {
      last = input;
    });
  } catch (error) {
    const shown = typeof last === "string"
      ? JSON.stringify(last.length > 2000 ? last.slice(0, 2000) + "…" : last)
      : JSON.stringify(last, null, 0)?.slice(0, 2000);
    console.error(
      `${name} failed with seed ${seed} (replay: FUZZ_SEED=${seed})\nlast input: ${shown}`,
    );
    throw error;
  }
}

const _PRINTABLE = " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`" +
  "abcdefghijklmnopqrstuvwxyz{|}~";
const _ODD = ["\n", "\r", "\t", "\0", "\u00a0", "\u2028", "é", "😀", "\uffff", "\ud800"];

/** A random string over printable ASCII plus some odd characters. */
export function _randomText(random: _Random, maxLength: number, alphabet?: string): string {
  const length = random.int(maxLength + 1);
  let out = "";
  for (let i = 0; i < length; i++) {
    if (alphabet) out += alphabet[random.int(alphabet.length)];
    else out += random.chance(0.05) ? random.pick(_ODD) : _PRINTABLE[random.int(_PRINTABLE.length)];
  }
  return out;
}

/**
 * Mutates `text` a few times: deletes, duplicates, inserts (from `pieces` or
 * random characters), swaps or truncates.
 */
export function _mutate(random: _Random, text: string, pieces: readonly string[] = []): string {
  let out = text;
  const rounds = 1 + random.int(4);
  for (let r = 0; r < rounds; r++) {
    const at = random.int(out.length + 1);
    const span = 1 + random.int(Math.min(8, out.length + 1));
    switch (random.int(7)) {
      case 0: // delete
        out = out.slice(0, at) + out.slice(at + span);
        break;
      case 1: // duplicate
        out = out.slice(0, at) + out.slice(at, at + span) + out.slice(at);
        break;
      case 2: // insert a piece
        out = out.slice(0, at) + (pieces.length ? random.pick(pieces) : "") + out.slice(at);
        break;
      case 3: // insert random characters
        out = out.slice(0, at) + _randomText(random, 4) + out.slice(at);
        break;
      case 4: { // replace one character
        const c = pieces.length && random.chance(0.5)
          ? random.pick(pieces)
          : _randomText(random, 1);
        out = out.slice(0, at) + c + out.slice(at + 1);
        break;
      }
      case 5: // truncate
        out = out.slice(0, at);
        break;
      default: { // swap two slices
        const b = random.int(out.length + 1);
        const [lo, hi] = at < b ? [at, b] : [b, at];
        out = out.slice(hi) + out.slice(lo, hi) + out.slice(0, lo);
      }
    }
  }
  return out;
}

/** Checks that a 1-based (line, column) lies within `text` (or just past its end). */
export function _placeWithin(text: string, line: number, column: number): string | undefined {
  const lines = text.split("\n");
  if (!Number.isInteger(line) || line < 1 || line > lines.length) {
    return `line ${line} is outside 1..${lines.length}`;
  }
  const length = lines[line - 1].length;
  if (!Number.isInteger(column) || column < 1 || column > length + 1) {
    return `column ${column} is outside 1..${length + 1} on line ${line}`;
  }
  return undefined;
}
