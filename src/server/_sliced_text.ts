/**
 * Large response texts (a 10,000-rule set's `iptables-save` text with
 * counters, about 1 MB; its JSON model, about 2.6 MB) made a slice of lines at a time, each slice in a
 * turn of the event loop of its own, so that other requests are answered
 * between them. Formatting such a set in one piece held the loop 10–45 ms
 * (bench/RESULTS.md, "HTTP stall at the limits, every request, session 16").
 *
 * @module
 */
import type { RuleSet } from "../rules/rule_set.ts";
import { _yieldToEventLoop } from "../rules/_yield_to_event_loop.ts";

/** Lines made in one slice: about 0.5–3 ms of formatting (1–5 µs a rule line). */
export const _LINES_PER_SLICE = 500;

/**
 * A body of `lines`, each followed by `\n`, as UTF-8: each chunk holds at
 * most `linesPerSlice` lines, and each is made after a macrotask (the first
 * too), when the reader asks for it.
 */
export function _slicedTextBody(
  lines: Iterator<string>,
  linesPerSlice = _LINES_PER_SLICE,
): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      await _yieldToEventLoop();
      const slice = _nextSlice(lines, linesPerSlice);
      if (slice.text !== "") controller.enqueue(encoder.encode(slice.text));
      if (slice.done) controller.close();
    },
  }, { highWaterMark: 0 });
}

/** `lines`, each followed by `\n`, joined in slices of `linesPerSlice` with a macrotask before each. */
export async function _joinInSlices(
  lines: Iterator<string>,
  linesPerSlice = _LINES_PER_SLICE,
): Promise<string> {
  const parts: string[] = [];
  for (;;) {
    await _yieldToEventLoop();
    const slice = _nextSlice(lines, linesPerSlice);
    parts.push(slice.text);
    if (slice.done) return parts.join("");
  }
}

/** Up to `most` lines of `lines` with their `\n`, and whether they are all taken. */
function _nextSlice(lines: Iterator<string>, most: number): { text: string; done: boolean } {
  let text = "";
  for (let n = 0; n < most; n++) {
    const next = lines.next();
    if (next.done) return { text, done: true };
    text += next.value + "\n";
  }
  return { text, done: false };
}

/**
 * The JSON text of `ruleSet` (what `JSON.stringify` gives, the `chains` and
 * each chain's `rules` put last) as lines: the head, each chain's head, one
 * rule per line, closings. For {@linkcode _slicedTextBody}: a 10,000-rule
 * model is about 2.6 MB of JSON.
 */
export function* _ruleSetJsonLines(ruleSet: RuleSet): Generator<string, void, undefined> {
  const { chains, ...rest } = ruleSet;
  yield `${_openObject(rest)}"chains":[`;
  for (let c = 0; c < chains.length; c++) {
    const { rules, ...chain } = chains[c];
    yield `${_openObject(chain)}"rules":[`;
    for (let r = 0; r < rules.length; r++) {
      yield JSON.stringify(rules[r]) + (r + 1 < rules.length ? "," : "");
    }
    yield c + 1 < chains.length ? "]}," : "]}";
  }
  yield "]}";
}

/** `value`'s JSON without its closing brace, ready for one more member (`{` or `{...,`). */
function _openObject(value: object): string {
  const json = JSON.stringify(value);
  return json === "{}" ? "{" : json.slice(0, -1) + ",";
}
