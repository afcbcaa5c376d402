/**
 * Small DOM helpers for the page (no framework).
 *
 * @module
 */
/// <reference lib="dom" />

/** The element with id `id`; throws when the page lacks it. */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`Cannot start workbench: element #${id} is missing`);
  return element as T;
}

/** A new element with a class and text. */
export function element<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className = "",
  text = "",
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text) node.textContent = text;
  return node;
}

/** A status line's text and tone. */
export function setStatus(node: HTMLElement, text: string, tone: "ok" | "error" | "" = ""): void {
  node.textContent = text;
  node.classList.toggle("ok", tone === "ok");
  node.classList.toggle("error", tone === "error");
}

/** 1234567 → "1,234,567". */
export function formatCount(value: number): string {
  return value.toLocaleString("en-US");
}
