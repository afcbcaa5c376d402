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
 * about 1 ms more to load than it saved). Class methods and nested functions
 * stay lazy (they cannot be marked this way without changing their meaning).
 *
 * @module
 */
import { parse } from "acorn";
import { findCycles } from "./check_import_cycles.ts";

interface _Node {
  type: string;
  start: number;
  end: number;
  id?: { name: string; start: number; end: number } | null;
  source?: { value: unknown };
}

/**
 * `source` (an ES module) with each top-level function declaration (of
 * those beginning at an offset in `called`, if given) turned into a
 * parenthesised function expression assigned to a `var` of the same name,
 * all of them placed, in their order, before the first statement that is
 * not an import.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { _eagerFunctions } from "./_eager_functions.ts";
 * const out = _eagerFunctions('import { x } from "./x.js";\nconst y = f();\nfunction f() {\n  return x;\n}\n');
 * assert.equal(
 *   out,
 *   'import { x } from "./x.js";\nvar f = (function () {\n  return x;\n});\nconst y = f();\n\n',
 * );
 * ```
 */
export function _eagerFunctions(source: string, called?: ReadonlySet<number>): string {
  const body = (parse(source, { ecmaVersion: "latest", sourceType: "module" }) as unknown as {
    body: _Node[];
  }).body;
  const functions = body.filter((node) =>
    node.type === "FunctionDeclaration" && node.id && (called?.has(node.start) ?? true)
  );
  if (functions.length === 0) return source;
  // Anonymous: the function still gets its name from the `var`, and its
  // body's references to that name read the module's binding, as a
  // declaration's do.
  const hoisted = functions.map((node) =>
    `var ${node.id!.name} = (${source.slice(node.start, node.id!.start).trimEnd()} ${
      source.slice(node.id!.end, node.end)
    });\n`
  ).join("");
  const moved = new Set(functions);
  let out = "";
  let at = 0;
  let placed = false;
  for (const node of body) {
    if (!placed && node.type !== "ImportDeclaration") {
      out += source.slice(at, node.start) + hoisted;
      at = node.start;
      placed = true;
    }
    if (moved.has(node)) {
      out += source.slice(at, node.start);
      at = node.end;
    }
  }
  return out + source.slice(at);
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
