/**
 * Rewrites each top-level function declaration of a bundled ES module as a
 * parenthesized function expression (`var f = (function f(...) {...});`),
 * so that V8 compiles it with the module instead of on its first call.
 *
 * Why: Deno keeps a code cache of each module, made right after V8 compiles
 * it, so it holds only what V8 compiled eagerly; a function declaration is
 * compiled lazily, on its first call, in every run. V8 compiles a function
 * expression in parentheses eagerly (its "PIFE" heuristic), so the cache then
 * holds it too, and a run that calls it (the rule-set parser, summariser,
 * index builder and emitter, `filter --rules` on 100 rules: ~370 functions)
 * skips compiling it. Measured in bench/RESULTS.md (issue 11, session 7).
 *
 * The rewritten functions are moved, in their order, to just after the
 * module's imports, where a declaration's binding would already hold its
 * function: every statement of the module still sees them defined. (Only a
 * cycle between chunks could call one earlier; esbuild's chunks of a source
 * tree without import cycles, as scripts/check_import_cycles.ts keeps it,
 * have none.) Exported declarations (`export function`) are left as they
 * are. Class methods stay lazy (V8 has no such hint for them).
 *
 * @module
 */
import * as acorn from "acorn";

interface _Node {
  type: string;
  start: number;
  end: number;
  id?: { name: string } | null;
}

/** `source` (an ES module) with its top-level function declarations compiled eagerly. */
export function _eagerFunctions(source: string): string {
  const body = (acorn.parse(source, { ecmaVersion: "latest", sourceType: "module" }) as unknown as {
    body: _Node[];
  }).body;
  // Everything up to the end of the last import stays first (banner, imports).
  let head = 0;
  for (const node of body) {
    if (node.type !== "ImportDeclaration") break;
    head = node.end;
  }
  const functions = body.filter((node) =>
    node.type === "FunctionDeclaration" && node.id && node.start >= head
  );
  if (functions.length === 0) return source;
  const moved = functions.map((node) =>
    `var ${node.id!.name} = (${source.slice(node.start, node.end)});`
  );
  let rest = "";
  let at = head;
  for (const node of functions) {
    rest += source.slice(at, node.start);
    at = node.end;
  }
  rest += source.slice(at);
  return `${source.slice(0, head)}\n${moved.join("\n")}${rest}`;
}
