/**
 * The server panel: the rule sets stored on the bpfstream server that serves
 * the page (`GET /rulesets`), their global counters refreshing every two
 * seconds (`GET /rulesets/:name/counters?scope=global`), loading one into the
 * editor, and saving the editor's text with `If-Match` on the version it was
 * loaded at (`If-None-Match: *` for a new name). The token lives only in the
 * password field: it is sent in the `Authorization` header, never put in a
 * URL, and never stored.
 *
 * @module
 */
/// <reference lib="dom" />
import type { RuleSetCounters } from "../src/rules/mod.ts";
import { element, formatCount, setStatus } from "./dom.ts";

/** The panel's parts in the page. */
export interface ServerPanelParts {
  /** The form around the fields: never submitted (the token must not leave in a request body or URL). */
  form: HTMLFormElement;
  token: HTMLInputElement;
  name: HTMLInputElement;
  save: HTMLButtonElement;
  refresh: HTMLButtonElement;
  status: HTMLElement;
  table: HTMLTableElement;
  counters: HTMLElement;
}

/** What the panel needs from the editor. */
export interface EditorAccess {
  get text(): string;
  set text(value: string);
}

interface _Summary {
  name: string;
  version: number;
  updatedAt: string;
  size: number;
}

const _COUNTER_INTERVAL_MS = 2000;
const _LIST_INTERVAL_MS = 10000;

async function _errorText(response: Response): Promise<string> {
  try {
    const body = await response.json();
    return `${response.status} ${body.code ?? ""}: ${body.error ?? response.statusText}`;
  } catch {
    return `${response.status} ${response.statusText}`;
  }
}

/** The server panel. */
export class ServerPanel {
  readonly #parts: ServerPanelParts;
  readonly #editor: EditorAccess;
  readonly #base: URL;
  /** Name and version the editor's text was loaded from or last saved as. */
  #loaded: { name: string; version: number } | undefined;
  #selected: string | undefined;
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(parts: ServerPanelParts, editor: EditorAccess, base: URL) {
    this.#parts = parts;
    this.#editor = editor;
    this.#base = base;
    parts.form.addEventListener("submit", (event) => event.preventDefault());
    parts.refresh.addEventListener("click", () => this.refresh());
    parts.save.addEventListener("click", () => this.save());
    parts.table.tBodies[0].addEventListener("click", (event) => {
      const row = (event.target as HTMLElement).closest<HTMLElement>("tr");
      const name = row?.dataset.name;
      if (!name) return;
      if ((event.target as HTMLElement).closest("button")) this.load(name);
      else this.select(name);
    });
    setInterval(() => this.refresh(true), _LIST_INTERVAL_MS);
  }

  #url(path: string): URL {
    return new URL(path, this.#base);
  }

  #headers(extra: Record<string, string> = {}): Headers {
    const headers = new Headers(extra);
    const token = this.#parts.token.value.trim();
    if (token) headers.set("Authorization", `Bearer ${token}`);
    return headers;
  }

  /** Lists the stored rule sets. */
  async refresh(quiet = false): Promise<void> {
    const { status, table } = this.#parts;
    let list: _Summary[];
    try {
      const response = await fetch(this.#url("rulesets"), { headers: this.#headers() });
      if (!response.ok) throw new Error(await _errorText(response));
      list = (await response.json()).ruleSets;
    } catch (error) {
      if (!quiet) {
        setStatus(
          status,
          `No bpfstream server answers at ${this.#base.origin}: ${(error as Error).message}`,
          "error",
        );
      }
      return;
    }
    const body = table.tBodies[0];
    body.replaceChildren(...list.map((entry) => {
      const row = element("tr", entry.name === this.#selected ? "selected" : "");
      row.dataset.name = entry.name;
      row.dataset.version = String(entry.version);
      const load = element("button", "", "Load into editor");
      load.type = "button";
      const action = element("td");
      action.append(load);
      row.append(
        element("td", "name", entry.name),
        element("td", "version", String(entry.version)),
        element("td", "", entry.updatedAt),
        element("td", "", `${formatCount(entry.size)} B`),
        action,
      );
      return row;
    }));
    if (!quiet) {
      setStatus(status, `${list.length} rule set${list.length === 1 ? "" : "s"} stored`, "ok");
    }
  }

  /** Shows the global counters of `name`, refreshing. */
  select(name: string): void {
    this.#selected = name;
    for (const row of this.#parts.table.tBodies[0].rows) {
      row.classList.toggle("selected", row.dataset.name === name);
    }
    clearInterval(this.#timer);
    this.#showCounters();
    this.#timer = setInterval(() => this.#showCounters(), _COUNTER_INTERVAL_MS);
  }

  async #showCounters(): Promise<void> {
    const name = this.#selected;
    if (!name) return;
    const url = this.#url(`rulesets/${encodeURIComponent(name)}/counters`);
    url.searchParams.set("scope", "global");
    const response = await fetch(url, { headers: this.#headers() }).catch(() => undefined);
    if (!response?.ok || name !== this.#selected) return;
    const body: {
      version: number;
      counters: RuleSetCounters;
      streams: { active: number; completed: number; failed: number };
    } = await response.json();
    const table = element("table", "counter-table");
    table.dataset.name = name;
    table.dataset.version = String(body.version);
    const header = element("tr");
    for (const title of ["chain", "rule", "packets", "bytes"]) {
      header.append(element("th", "", title));
    }
    table.append(header);
    for (const [chain, counters] of Object.entries(body.counters.chains)) {
      counters.rules.forEach((counter, r) => {
        const tr = element("tr");
        tr.append(
          element("td", "", chain),
          element("td", "", String(r + 1)),
          element("td", "", formatCount(counter.packets)),
          element("td", "", formatCount(counter.bytes)),
        );
        table.append(tr);
      });
      if (counters.policy) {
        const tr = element("tr");
        tr.append(
          element("td", "", chain),
          element("td", "", "policy"),
          element("td", "", formatCount(counters.policy.packets)),
          element("td", "", formatCount(counters.policy.bytes)),
        );
        table.append(tr);
      }
    }
    const { streams } = body;
    const caption = element(
      "p",
      "hint",
      `${name} version ${body.version}, global counters (refreshed ${
        new Date().toLocaleTimeString()
      }); streams: ${streams.active} active, ${streams.completed} completed, ${streams.failed} failed`,
    );
    this.#parts.counters.replaceChildren(caption, table);
  }

  /** Loads rule set `name` into the editor. */
  async load(name: string): Promise<void> {
    const { status } = this.#parts;
    const response = await fetch(this.#url(`rulesets/${encodeURIComponent(name)}`), {
      headers: this.#headers(),
    });
    if (!response.ok) {
      setStatus(status, `Cannot load ${name}: ${await _errorText(response)}`, "error");
      return;
    }
    const version = Number((response.headers.get("ETag") ?? "").replaceAll('"', ""));
    this.#editor.text = await response.text();
    this.#loaded = { name, version };
    this.#parts.name.value = name;
    this.select(name);
    setStatus(status, `Loaded ${name} version ${version}`, "ok");
  }

  /** Saves the editor's text under the name in the name field. */
  async save(): Promise<void> {
    const { status } = this.#parts;
    const name = this.#parts.name.value.trim();
    if (!/^[A-Za-z0-9_.-]{1,64}$/.test(name)) {
      setStatus(
        status,
        "Cannot save: give a name of 1 to 64 letters, digits, '_', '.' or '-'",
        "error",
      );
      return;
    }
    const conditional: Record<string, string> = this.#loaded?.name === name
      ? { "If-Match": `"${this.#loaded.version}"` }
      : { "If-None-Match": "*" };
    const response = await fetch(this.#url(`rulesets/${encodeURIComponent(name)}`), {
      method: "PUT",
      headers: this.#headers({ "Content-Type": "text/plain; charset=utf-8", ...conditional }),
      body: this.#editor.text,
    });
    if (response.status === 412) {
      setStatus(
        status,
        `Not saved: ${name} changed on the server (or exists) since it was loaded; load it again`,
        "error",
      );
      return;
    }
    if (!response.ok) {
      setStatus(status, `Cannot save ${name}: ${await _errorText(response)}`, "error");
      return;
    }
    const saved: { version: number } = await response.json();
    this.#loaded = { name, version: saved.version };
    setStatus(status, `Saved ${name} as version ${saved.version}`, "ok");
    await this.refresh(true);
    this.select(name);
  }
}
