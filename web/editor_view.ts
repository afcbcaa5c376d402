/**
 * The rule-set editor: a textarea over a backdrop that marks the line and
 * column of the first parse or checker error, with line numbers beside it;
 * the text is checked by the library (`checkRuleText`) as it is typed.
 *
 * @module
 */
/// <reference lib="dom" />
import { checkRuleText, type RuleTextCheck } from "./check_rule_text.ts";
import { element, setStatus } from "./dom.ts";

/** The editor's parts in the page. */
export interface EditorParts {
  textarea: HTMLTextAreaElement;
  backdrop: HTMLElement;
  gutter: HTMLElement;
  status: HTMLElement;
}

/** The rule-set editor. */
export class EditorView {
  readonly #parts: EditorParts;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #check: RuleTextCheck | undefined;
  #listeners: ((check: RuleTextCheck) => void)[] = [];

  constructor(parts: EditorParts) {
    this.#parts = parts;
    parts.textarea.addEventListener("input", () => this.#schedule());
    parts.textarea.addEventListener("scroll", () => this.#syncScroll());
  }

  /** The text. */
  get text(): string {
    return this.#parts.textarea.value;
  }

  /** Replaces the text and checks it at once. */
  set text(value: string) {
    this.#parts.textarea.value = value;
    this.checkNow();
  }

  /** The last check (`undefined` before the first). */
  get check(): RuleTextCheck | undefined {
    return this.#check;
  }

  /** Calls `listener` after each check. */
  onCheck(listener: (check: RuleTextCheck) => void): void {
    this.#listeners.push(listener);
  }

  #schedule(): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.checkNow(), 120);
  }

  /** Checks the text now and shows the result. */
  checkNow(): RuleTextCheck {
    clearTimeout(this.#timer);
    const text = this.text;
    const check = checkRuleText(text);
    this.#check = check;
    this.#render(text, check);
    for (const listener of this.#listeners) listener(check);
    return check;
  }

  #render(text: string, check: RuleTextCheck): void {
    const { backdrop, gutter, status } = this.#parts;
    const lines = text.split("\n");
    const problem = check.ok ? undefined : check.problem;
    gutter.replaceChildren(...lines.map((_, i) => {
      const number = element("div", problem?.line === i + 1 ? "error" : "", String(i + 1));
      if (problem?.line === i + 1) number.title = problem.message;
      return number;
    }));
    backdrop.replaceChildren(...lines.map((line, i) => {
      if (problem?.line !== i + 1) return document.createTextNode(line + "\n");
      const span = element("span", "error-line");
      const at = Math.min(problem.column - 1, line.length);
      span.append(line.slice(0, at));
      span.append(element("mark", "", line.slice(at, at + 1) || " "));
      span.append(line.slice(at + 1) + "\n");
      return span;
    }));
    if (problem) {
      status.dataset.line = String(problem.line);
      status.dataset.column = String(problem.column);
      setStatus(
        status,
        `Line ${problem.line}, column ${problem.column}: ${problem.message}`,
        "error",
      );
    } else {
      delete status.dataset.line;
      delete status.dataset.column;
      const rules = check.ok
        ? check.rules.ruleSet.chains.reduce((n, c) => n + c.rules.length, 0)
        : 0;
      setStatus(
        status,
        `OK: ${rules} rule${rules === 1 ? "" : "s"}, entry chain ${
          check.ok ? check.rules.chain : ""
        }`,
        "ok",
      );
    }
    this.#syncScroll();
  }

  #syncScroll(): void {
    const { textarea, backdrop, gutter } = this.#parts;
    backdrop.scrollTop = textarea.scrollTop;
    backdrop.scrollLeft = textarea.scrollLeft;
    gutter.scrollTop = textarea.scrollTop;
  }
}
