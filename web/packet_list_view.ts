/**
 * The virtualized packet list: only the rows in view exist in the DOM; they
 * are fetched from the worker as the list scrolls. The scroll height is
 * capped (browsers limit element heights), and the scroll position maps
 * proportionally to the first row, so a 1M-frame capture scrolls end to end.
 *
 * @module
 */
/// <reference lib="dom" />
import { element, formatCount } from "./dom.ts";
import type { PacketRow } from "./messages.ts";
import type { RuleLabel } from "./rule_labels.ts";

const _ROW_HEIGHT = 22;
const _MAX_SCROLL_HEIGHT = 4_000_000;
const _CACHE_ROWS = 4096;

/** The parts of the list in the page. */
export interface PacketListParts {
  scroller: HTMLElement;
  spacer: HTMLElement;
  rows: HTMLElement;
}

/** The packet list. */
export class PacketListView {
  readonly #parts: PacketListParts;
  readonly #fetchRows: (from: number, to: number) => Promise<PacketRow[]>;
  #count = 0;
  #labels: RuleLabel[] = [];
  #cache = new Map<number, PacketRow>();
  #pending = false;
  #selected = -1;
  #generation = 0;
  /** Called when a packet is clicked. */
  onSelect: (index: number) => void = () => {};

  constructor(
    parts: PacketListParts,
    fetchRows: (from: number, to: number) => Promise<PacketRow[]>,
  ) {
    this.#parts = parts;
    this.#fetchRows = fetchRows;
    parts.scroller.addEventListener("scroll", () => this.#render());
    parts.rows.addEventListener("click", (event) => {
      const row = (event.target as HTMLElement).closest<HTMLElement>(".row");
      if (row?.dataset.index) this.select(Number(row.dataset.index));
    });
    parts.scroller.addEventListener("keydown", (event) => {
      if (event.key !== "ArrowDown" && event.key !== "ArrowUp") return;
      event.preventDefault();
      const next = this.#selected + (event.key === "ArrowDown" ? 1 : -1);
      if (next >= 0 && next < this.#count) this.select(next);
    });
  }

  /** Shows a new capture of `count` packets. */
  reset(count: number, labels: RuleLabel[]): void {
    this.#count = count;
    this.#labels = labels;
    this.#cache.clear();
    this.#selected = -1;
    this.#generation++;
    this.#parts.spacer.style.height = `${Math.min(count * _ROW_HEIGHT, _MAX_SCROLL_HEIGHT)}px`;
    this.#parts.scroller.scrollTop = 0;
    this.#render();
  }

  /** Selects packet `index` (0-based) and scrolls it into view. */
  select(index: number): void {
    this.#selected = index;
    const [first, visible] = this.#window();
    if (index < first || index >= first + visible - 1) this.scrollTo(index);
    else this.#render();
    this.onSelect(index);
  }

  /** Scrolls so that packet `index` is the first row. */
  scrollTo(index: number): void {
    const { scroller } = this.#parts;
    const visible = Math.floor(scroller.clientHeight / _ROW_HEIGHT);
    const range = Math.max(1, this.#count - visible);
    const scrollable = Math.max(1, scroller.scrollHeight - scroller.clientHeight);
    scroller.scrollTop = Math.round((Math.min(index, range) / range) * scrollable);
    this.#render();
  }

  /** First row in view and the number of rows that fit. */
  #window(): [number, number] {
    const { scroller } = this.#parts;
    const visible = Math.ceil(scroller.clientHeight / _ROW_HEIGHT) + 1;
    const scrollable = scroller.scrollHeight - scroller.clientHeight;
    const range = Math.max(0, this.#count - visible + 1);
    const fraction = scrollable > 0 ? scroller.scrollTop / scrollable : 0;
    return [Math.min(range, Math.round(fraction * range)), visible];
  }

  #render(): void {
    const { scroller, rows } = this.#parts;
    const [first, visible] = this.#window();
    const last = Math.min(this.#count, first + visible);
    // Rows never reach past the spacer: they would add to the scroll height.
    const spacerHeight = Math.min(this.#count * _ROW_HEIGHT, _MAX_SCROLL_HEIGHT);
    const top = Math.max(
      0,
      Math.min(scroller.scrollTop, spacerHeight - (last - first) * _ROW_HEIGHT),
    );
    rows.style.transform = `translateY(${top}px)`;
    const nodes: HTMLElement[] = [];
    let missing = false;
    for (let i = first; i < last; i++) {
      const row = this.#cache.get(i);
      if (!row) missing = true;
      nodes.push(this.#row(i, row));
    }
    rows.replaceChildren(...nodes);
    if (missing) this.#fetch(first, last);
  }

  #fetch(first: number, last: number): void {
    if (this.#pending) return;
    this.#pending = true;
    const generation = this.#generation;
    this.#fetchRows(first, last).then((fetched) => {
      this.#pending = false;
      if (generation !== this.#generation) return;
      if (this.#cache.size > _CACHE_ROWS) this.#cache.clear();
      for (const row of fetched) this.#cache.set(row.index, row);
      this.#render();
    });
  }

  #rule(decidedBy: number): string {
    if (decidedBy < 0) return "policy";
    const label = this.#labels[decidedBy];
    return label ? `${label.chain} ${label.number}` : String(decidedBy);
  }

  #row(index: number, row: PacketRow | undefined): HTMLElement {
    const node = element("div", "row" + (index === this.#selected ? " selected" : ""));
    node.dataset.index = String(index);
    node.setAttribute("role", "option");
    node.append(element("span", "number", formatCount(index + 1)));
    if (!row) return node;
    const verdict = row.accepted ? "ACCEPT" : "DROP";
    node.dataset.verdict = verdict;
    node.dataset.rule = String(row.decidedBy);
    node.append(
      element("span", "time", row.time.toFixed(6)),
      element("span", "length", String(row.wireLength)),
      element("span", "summary", row.summary),
      element("span", `verdict-${verdict}`, verdict),
      element("span", "rule", this.#rule(row.decidedBy)),
    );
    node.title = `${row.capturedLength} of ${row.wireLength} bytes captured`;
    return node;
  }
}
