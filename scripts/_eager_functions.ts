/**
 * Private to `build_cli.ts`: rewrites a bundled ES module so that V8
 * compiles its top-level functions when it compiles the module, and Deno's
 * code cache (made right after that compile) holds their bytecode.
 *
 * Why: V8 compiles a function lazily, on its first call, unless the parser
 * sees it as likely to be called at once: a function expression in
 * parentheses. Deno caches a module's code as compiled on load, so every run
 * of the command compiled the functions it calls again (about 5 ms of the
 * start-up of `filter --expr`; Chrome's `//# allFunctionsCalledOnLoad` hint is
 * not followed by Deno, measured). Rewritten, `function f(a) {...}` becomes
 * `var f = (function (a) {...});`, moved before the module's first statement:
 * declarations are set up before any of the module's code runs, and these
 * expressions now are too. The difference would show only through an import
 * cycle among the bundle's files (a function called before its module ran),
 * so {@linkcode _chunkCycles} checks there is none.
 *
 * Which functions: those a few runs of the command call at start-up
 * (`_startup_profile.ts`); the others stay lazy, so that loading a file does
 * not read code no run needs (marking every function cost `filter --expr`
 * about 1 ms more to load than it saved). Functions nested in those are
 * marked too (the parentheses count only inside a function compiled
 * eagerly): function expressions, and arrow functions rewritten as function
 * expressions where that keeps their meaning (no `this`, `arguments`,
 * `super`, `new.target`), about 0.5 ms more; so are object literals' methods
 * that do not use `super`, rewritten as properties (`run(a) {...}` becomes
 * `run: (function (a) {...})`). So are class methods
 * ({@linkcode _methodEdits}): a plain method is defined by a static block
 * placed first in its class, as a parenthesised function expression; a
 * private method of a top-level class keeps its place and name but calls
 * its body, compiled with the module in that block, through a module-level
 * variable (a tiny method is left to compile on first call).
 *
 * @module
 */
import { parse, tokenizer } from "acorn";
import { findCycles } from "./check_import_cycles.ts";

interface _Node {
  type: string;
  init?: _Node;
  body?: _Node | _Node[];
  static?: boolean;
  start: number;
  end: number;
  id?: { name: string; start: number; end: number } | null;
  name?: string;
  method?: boolean;
  kind?: string;
  computed?: boolean;
  key?: _Node;
  value?: _Node;
  generator?: boolean;
  params?: _Node[];
  async?: boolean;
  expression?: boolean;
}

/**
 * `source` (an ES module) with its functions (of those beginning at an
 * offset in `called`, if given) marked for eager compilation: each top-level
 * function declaration turned into a parenthesised anonymous function
 * expression assigned to a `var` of the same name, all of them placed, in
 * their order, before the first statement that is not an import; each other
 * function expression put in parentheses; each arrow function that does not
 * read `this`, `arguments`, `super` or `new.target` rewritten as such a
 * function expression (`(a) => a + 1` becomes `(function (a) { return (
 * a + 1); })`: the text after `=>` is kept as it is); each method of an
 * object literal that does not use `super` rewritten as a property holding
 * one (`async m(a) {...}` becomes `m: (async function (a) {...})`). A
 * rewritten arrow or method can be called with `new` and has a `prototype`,
 * which it had not; nothing in the bundle does either.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { _eagerFunctions } from "./_eager_functions.ts";
 * const out = _eagerFunctions('import { x } from "./x.js";\nconst y = f();\nfunction f() {\n  return [x].map((v) => v);\n}\n');
 * assert.equal(
 *   out,
 *   'import { x } from "./x.js";\nvar f = (function () {\n  return [x].map((function (v) { return ( v); }));\n});\nconst y = f();\n\n',
 * );
 * ```
 */
export function _eagerFunctions(source: string, called?: ReadonlySet<number>): string {
  const program = parse(source, { ecmaVersion: "latest", sourceType: "module" }) as unknown as {
    body: _Node[];
  };
  const body = program.body;
  const eager = (node: _Node) => called?.has(node.start) ?? true;
  const functions = body.filter((node) =>
    node.type === "FunctionDeclaration" && node.id && eager(node)
  );
  const edits = _nestedEdits(source, program, eager);
  const render0 = (from: number, to: number) => _render(source, edits, from, to);
  edits.push(..._methodEdits(source, program, eager, render0));
  edits.sort((a, b) => a.from - b.from || a.rank - b.rank);
  const render = (from: number, to: number) => _render(source, edits, from, to);
  // Anonymous: the function still gets its name from the `var`, and its
  // body's references to that name read the module's binding, as a
  // declaration's do.
  const hoisted = functions.map((node) =>
    `var ${node.id!.name} = (${render(node.start, node.id!.start).trimEnd()} ${
      render(node.id!.end, node.end)
    });\n`
  ).join("");
  const moved = new Set(functions);
  let out = "";
  let at = 0;
  let placed = functions.length === 0;
  for (const node of body) {
    if (!placed && node.type !== "ImportDeclaration") {
      out += render(at, node.start) + hoisted;
      at = node.start;
      placed = true;
    }
    if (moved.has(node)) {
      out += render(at, node.start);
      at = node.end;
    }
  }
  return out + render(at, source.length);
}

/** The ranks of openings (closings rank below). */
const _OPENING = 1e6;

/** A change to the text: `text` in place of `from`..`to` (empty: an insertion). */
interface _Edit {
  from: number;
  to: number;
  text: string;
  /** Order among edits at one place: closings (deepest first), then openings (outermost first). */
  rank: number;
}

/** The edits that mark the nested functions (and top-level arrows) that `eager` selects. */
function _nestedEdits(source: string, program: unknown, eager: (node: _Node) => boolean): _Edit[] {
  const edits: _Edit[] = [];
  _visit(program as _Node, 0, (node, depth, parent) => {
    if (!eager(node)) return;
    // A method's function is written as the method, not as an expression.
    const method = parent?.type === "MethodDefinition" ||
      (parent?.type === "Property" && (parent.method || parent.kind !== "init"));
    if (node.type === "FunctionExpression" && !method) {
      edits.push({ from: node.start, to: node.start, text: "(", rank: _OPENING + depth });
      edits.push({ from: node.end, to: node.end, text: ")", rank: -depth });
    } else if (
      node.type === "Property" && node.method && node.kind === "init" && !node.computed &&
      !_isProtoKey(source, node.key!) && !_reads(node.value!, ["Super"])
    ) {
      // `async m(a) {...}` in an object literal → `m: (async function (a) {...})`.
      const value = node.value!;
      const head = `${source.slice(node.key!.start, node.key!.end)}: (${
        value.async ? "async " : ""
      }function${value.generator ? "*" : ""} `;
      edits.push({ from: node.start, to: value.start, text: head, rank: _OPENING + depth });
      edits.push({ from: node.end, to: node.end, text: ")", rank: -depth });
    } else if (
      node.type === "ArrowFunctionExpression" && !_readsOwnReceiver(node) &&
      // At the start of a statement, a "(" could join it to the previous line (no semicolon).
      parent?.type !== "ExpressionStatement"
    ) {
      const params = node.params!;
      const arrow = _arrowEnd(source, params.length > 0 ? params.at(-1)!.end : node.start);
      const head = `(${node.async ? "async " : ""}function (`;
      const open = node.expression ? ") { return (" : ") ";
      if (params.length > 0) {
        edits.push({ from: node.start, to: params[0].start, text: head, rank: _OPENING + depth });
        edits.push({ from: params.at(-1)!.end, to: arrow, text: open, rank: _OPENING + depth });
      } else edits.push({ from: node.start, to: arrow, text: head + open, rank: _OPENING + depth });
      const close = node.expression ? "); })" : ")";
      edits.push({ from: node.end, to: node.end, text: close, rank: -depth });
    }
  });
  return edits.sort((a, b) => a.from - b.from || a.rank - b.rank);
}

/**
 * Whether an arrow function reads `this`, `arguments`, `super` or
 * `new.target` (its own or a nested arrow's), or calls `eval` (which could
 * read them).
 */
function _readsOwnReceiver(arrow: _Node): boolean {
  return _reads(arrow, ["ThisExpression", "Super", "MetaProperty", "arguments", "eval"]);
}

/** Whether a property's key is `__proto__` (a method named so is not a property the prototype). */
function _isProtoKey(source: string, key: _Node): boolean {
  const text = source.slice(key.start, key.end);
  return text === "__proto__" || text === '"__proto__"' || text === "'__proto__'";
}

/** The offset just past the `=>` token that follows `from` (a token, not text in a comment). */
function _arrowEnd(source: string, from: number): number {
  for (const token of tokenizer(source.slice(from), { ecmaVersion: "latest" })) {
    if (token.type.label === "=>") return from + token.end;
  }
  throw new Error(`no "=>" after offset ${from}`);
}

/**
 * Whether a function has a node of one of `types` (or an identifier named
 * so) in its own code or its arrows', not in its nested functions.
 */
function _reads(fn: _Node, types: readonly string[]): boolean {
  let reads = false;
  _visit(fn, 0, (node) => {
    if (types.includes(node.type) || (node.type === "Identifier" && types.includes(node.name!))) {
      reads = true;
    }
  }, (node) => node.type === "FunctionExpression" || node.type === "FunctionDeclaration");
  return reads;
}

/** Calls `visit` on `node` and every node below it, not below a node `stop` accepts. */
function _visit(
  node: _Node,
  depth: number,
  visit: (node: _Node, depth: number, parent?: _Node) => void,
  stop?: (node: _Node) => boolean,
  parent?: _Node,
): void {
  visit(node, depth, parent);
  if (depth > 0 && stop?.(node)) return;
  for (const value of Object.values(node)) {
    const children = Array.isArray(value) ? value : [value];
    for (const child of children) {
      if (child !== null && typeof child === "object" && typeof child.type === "string") {
        _visit(child, depth + 1, visit, stop, node);
      }
    }
  }
}

/** `source` from `from` to `to` with the edits inside that range made. */
function _render(source: string, edits: readonly _Edit[], from: number, to: number): string {
  let out = "";
  let at = from;
  for (const edit of edits) {
    if (edit.from < from || edit.to > to) continue;
    // An insertion at an end of the range: an opening belongs to the range
    // that starts there, a closing to the one that ends there.
    const insertion = edit.from === edit.to;
    if (insertion && edit.from === to && edit.rank >= _OPENING) continue;
    if (insertion && edit.from === from && edit.rank < _OPENING && from !== 0) continue;
    // Edits inside a replaced range (a moved method) were made in its new text.
    if (edit.from < at) continue;
    out += source.slice(at, edit.from) + edit.text;
    at = edit.to;
  }
  return out + source.slice(at, to);
}

/**
 * The import cycles among a bundle's files (`name` → source), by the
 * relative specifiers of their static and dynamic imports: empty when the
 * rewrite of {@linkcode _eagerFunctions} keeps the bundle's meaning.
 */
export function _chunkCycles(files: ReadonlyMap<string, string>): string[][] {
  const graph = new Map<string, string[]>();
  for (const [name, source] of files) {
    const targets: string[] = [];
    for (const match of source.matchAll(/(?:from|import)\s*\(?\s*"\.\/([^"]+)"/g)) {
      targets.push(match[1]);
    }
    graph.set(name, targets.filter((target) => files.has(target)));
  }
  return findCycles(graph);
}

/** Element rank of a class's static block of moved methods: before anything else at its place. */
const _FIRST = -1e9;

/**
 * The edits that make the methods of classes that `eager` selects (by the
 * offset of their name, as V8's coverage reports a method) compiled with
 * their module: each plain method (not a getter, setter, constructor,
 * private or computed-name method, nor one that uses `super`) is removed
 * from the class body and defined instead by a static block placed first in
 * the body, as a parenthesised function expression (which V8 compiles with
 * the block, and the block with its module):
 * `class A { m(x) {...} }` becomes
 * `class A { static { Object.defineProperty(this.prototype, "m", { value:
 * { "m": (function (x) {...}) }["m"], writable: true, configurable: true });
 * } }`. The property is what the method was (not enumerable, writable,
 * configurable, same name and length); the body still sees the class's
 * private names and bindings. Only difference: the function can be called
 * with `new` and has a `prototype`, as the rewritten arrows have. A class
 * with two elements of one name (but a getter and a setter) is left as it
 * is: their order would matter.
 *
 * A private method (`#m(a, b) {...}`: not static, no `super`) of a class at the module's
 * top level (a variable there holds one function, for one class) becomes
 * `#m(a, b) { return $eager$0.call(this, a, b); }` ({@linkcode _trampoline}),
 * its body `$eager$0 = (function (a, b) {...});` in that static block, and `var $eager$0;` is
 * added at the module's end. The method stays what it was (private, same
 * name and length, the receiver's brand checked where it is called); a
 * stack trace shows one frame more. A module that already names `$eager$`
 * is refused (an error).
 * `render` gives the text of a range with the other edits made.
 */
function _methodEdits(
  source: string,
  program: unknown,
  eager: (node: _Node) => boolean,
  render: (from: number, to: number) => string,
): _Edit[] {
  const edits: _Edit[] = [];
  const holders: string[] = [];
  if (source.includes("$eager$")) throw new Error("Cannot mark class methods: `$eager$` in use");
  const topLevel = new Set<_Node>();
  for (const statement of (program as { body: _Node[] }).body) {
    const declaration = statement.type === "ExportNamedDeclaration" ||
        statement.type === "ExportDefaultDeclaration"
      ? (statement as unknown as { declaration: _Node }).declaration
      : statement;
    if (!declaration) continue;
    if (declaration.type === "ClassDeclaration") topLevel.add(declaration.body as _Node);
    if (declaration.type === "VariableDeclaration") {
      for (
        const { init } of (declaration as unknown as { declarations: { init?: _Node }[] })
          .declarations
      ) {
        if (init?.type === "ClassExpression") topLevel.add(init.body as _Node);
      }
    }
  }
  _visit(program as _Node, 0, (node) => {
    if (node.type !== "ClassBody") return;
    const elements = node.body as _Node[];
    if (_namesTwice(source, elements)) return;
    const moved = elements.filter((element) =>
      element.type === "MethodDefinition" && element.kind === "method" && !element.computed &&
      _keyName(source, element.key!) !== undefined &&
      (eager(element) || eager(element.key!)) && !_reads(element.value!, ["Super"])
    );
    const routed = topLevel.has(node)
      ? elements.filter((element) =>
        element.type === "MethodDefinition" && element.kind === "method" && !element.static &&
        element.key!.type === "PrivateIdentifier" && (eager(element) || eager(element.key!)) &&
        !_reads(element.value!, ["Super"])
      )
      : [];
    if (moved.length === 0 && routed.length === 0) return;
    const routes = routed.map((element) => {
      const value = element.value!;
      const name = `$eager$${holders.length}`;
      holders.push(name);
      // A generator or async method's head (`*`, `async`) goes: its body makes the generator or promise.
      if (element.key!.start > element.start) {
        edits.push({ from: element.start, to: element.key!.start, text: "", rank: 0 });
      }
      edits.push({ from: value.start, to: value.end, text: _trampoline(name, value), rank: 0 });
      return `${name} = (${value.async ? "async " : ""}function${value.generator ? "*" : ""} ${
        render(value.start, value.end)
      });`;
    });
    const defines = moved.map((element) => {
      const value = element.value!;
      const key = JSON.stringify(_keyName(source, element.key!));
      const fn = `(${value.async ? "async " : ""}function${value.generator ? "*" : ""} ${
        render(value.start, value.end)
      })`;
      return `Object.defineProperty(this${element.static ? "" : ".prototype"}, ${key}, ` +
        `{ value: { ${key}: ${fn} }[${key}], writable: true, configurable: true });`;
    });
    edits.push({
      from: node.start + 1,
      to: node.start + 1,
      text: ` static { ${[...routes, ...defines].join(" ")} } `,
      rank: _FIRST,
    });
    for (const element of moved) {
      edits.push({ from: element.start, to: element.end, text: "", rank: 0 });
    }
  });
  if (holders.length > 0) {
    const end = source.length;
    edits.push({ from: end, to: end, text: `\nvar ${holders.join(", ")};\n`, rank: -1e9 });
  }
  return edits;
}

/**
 * The parameters and body of a private method that calls `name` (its body)
 * with its receiver and arguments: `(a, b) { return name.call(this, a, b);
 * }` when its parameters are plain names and it does not read `arguments`;
 * otherwise `($0) { return name.apply(this, arguments); }`, as many
 * parameters as the method's `length` (those before the first default or
 * rest). A generator or async method's call returns the generator or
 * promise its body makes, as before (the body has not run yet).
 */
function _trampoline(name: string, method: _Node): string {
  const params = method.params!;
  if (params.every((param) => param.type === "Identifier") && !_reads(method, ["arguments"])) {
    const names = params.map((param) => param.name).join(", ");
    return `(${names}) { return ${name}.call(this${names ? ", " : ""}${names}); }`;
  }
  const plain = params.findIndex((p) => p.type === "AssignmentPattern" || p.type === "RestElement");
  const length = plain < 0 ? params.length : plain;
  const names = Array.from({ length }, (_, i) => `$${i}`).join(", ");
  return `(${names}) { return ${name}.apply(this, arguments); }`;
}

/**
 * Whether a class names two elements alike (on the class or on its
 * prototype), but for a getter and a setter of one name.
 */
function _namesTwice(source: string, elements: readonly _Node[]): boolean {
  const kinds = new Map<string, string[]>();
  for (const element of elements) {
    if (!element.key || element.computed) continue;
    const name = `${element.static}:${
      _keyName(source, element.key) ?? source.slice(element.key.start, element.key.end)
    }`;
    kinds.set(name, [...(kinds.get(name) ?? []), element.kind ?? "field"]);
  }
  return [...kinds.values()].some((list) =>
    list.length > 1 && !(list.length === 2 && list.includes("get") && list.includes("set"))
  );
}

/** A class element's name when it is an identifier or a string (not private, not a number). */
function _keyName(source: string, key: _Node): string | undefined {
  if (key.type === "Identifier") return key.name;
  if (key.type === "Literal" && /^["']/.test(source.slice(key.start, key.end))) {
    return (key as unknown as { value: string }).value;
  }
  return undefined;
}
