/**
 * Lists the functions under a folder (default `src/`) longer than a number of
 * lines (default 150) and exits with status 1 when there is any.
 *
 * Every function declaration, method, constructor, accessor, function
 * expression and arrow function counts, nested or not, measured from its first
 * to its last line (its JSDoc excluded). A function nested in a long one is
 * measured on its own, and its lines also count for the outer one.
 *
 * A function whose body is a table (a list of cases that reads best in one
 * place) may opt out with the comment `// check-function-length: table` among
 * the comments just before it (before its JSDoc, or between JSDoc and code).
 *
 * Usage: `deno run --allow-read --allow-env scripts/check_function_length.ts [folder] [max-lines]`
 * (the TypeScript compiler reads its `TSC_*` settings from the environment when it loads)
 *
 * @module
 */

// deno-lint-ignore no-import-prefix -- a dev-only script: the pinned specifier keeps typescript out of the published imports
import ts from "npm:typescript@6.0.3";

/** The comment that exempts a table-like function from the length limit. */
export const TABLE_MARKER = "check-function-length: table";

/** One function found longer than the limit. */
export interface LongFunction {
  /** The file, as given to {@linkcode longFunctions}. */
  file: string;
  /** The 1-based line where the function starts. */
  line: number;
  /** The function's name, or a description of where an anonymous one sits. */
  name: string;
  /** The number of lines from its first to its last, both included. */
  lines: number;
}

function _isFunction(node: ts.Node): node is ts.FunctionLikeDeclaration {
  return ts.isFunctionDeclaration(node) || ts.isMethodDeclaration(node) ||
    ts.isArrowFunction(node) || ts.isFunctionExpression(node) ||
    ts.isConstructorDeclaration(node) ||
    ts.isGetAccessorDeclaration(node) || ts.isSetAccessorDeclaration(node);
}

/**
 * The node whose leading comments belong to the function: the `const`
 * statement for `const f = () => ...`, the call statement for `call(() => ...)`.
 */
function _commentHolder(node: ts.Node): ts.Node {
  let holder: ts.Node = node;
  if (ts.isArrowFunction(node) || ts.isFunctionExpression(node)) {
    const parent = node.parent;
    if (ts.isVariableDeclaration(parent)) {
      holder = ts.isVariableStatement(parent.parent.parent) ? parent.parent.parent : parent;
    } else if (ts.isPropertyAssignment(parent) || ts.isPropertyDeclaration(parent)) {
      holder = parent;
    } else if (ts.isCallExpression(parent) && ts.isExpressionStatement(parent.parent)) {
      holder = parent.parent; // Deno.test("...", () => { ... });
    }
  }
  return holder;
}

function _isTable(node: ts.Node, text: string): boolean {
  const holder = _commentHolder(node);
  const ranges = ts.getLeadingCommentRanges(text, holder.getFullStart()) ?? [];
  return ranges.some((range) => text.slice(range.pos, range.end).includes(TABLE_MARKER));
}

function _name(node: ts.FunctionLikeDeclaration): string {
  if (node.name !== undefined && !ts.isComputedPropertyName(node.name)) return node.name.getText();
  if (ts.isConstructorDeclaration(node)) return "constructor";
  const parent = node.parent;
  if (
    (ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent) ||
      ts.isPropertyDeclaration(parent)) && !ts.isComputedPropertyName(parent.name)
  ) {
    return parent.name.getText();
  }
  if (ts.isCallExpression(parent)) {
    return `(${ts.isArrowFunction(node) ? "arrow" : "function"} passed to ${
      parent.expression.getText().slice(0, 40)
    })`;
  }
  return ts.isArrowFunction(node) ? "(arrow)" : "(function)";
}

/** The functions in one TypeScript source longer than `maxLines` lines. */
export function longFunctions(file: string, text: string, maxLines: number): LongFunction[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const found: LongFunction[] = [];
  const visit = (node: ts.Node): void => {
    if (_isFunction(node) && node.body !== undefined) {
      const start = source.getLineAndCharacterOfPosition(node.getStart(source)).line;
      const end = source.getLineAndCharacterOfPosition(node.getEnd()).line;
      const lines = end - start + 1;
      if (lines > maxLines && !_isTable(node, text)) {
        found.push({ file, line: start + 1, name: _name(node), lines });
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

async function* _sourceFiles(folder: string): AsyncGenerator<string> {
  const entries = [];
  for await (const entry of Deno.readDir(folder)) entries.push(entry);
  entries.sort((a, b) => a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  for (const entry of entries) {
    const path = `${folder}/${entry.name}`;
    if (entry.isDirectory) yield* _sourceFiles(path);
    else if (entry.isFile && /\.tsx?$/.test(entry.name) && !entry.name.endsWith(".d.ts")) {
      yield path;
    }
  }
}

/** The long functions in every `.ts` file under `folder`, longest first. */
export async function folderLongFunctions(
  folder: string,
  maxLines: number,
): Promise<LongFunction[]> {
  const found: LongFunction[] = [];
  for await (const file of _sourceFiles(folder.replace(/\/+$/, ""))) {
    found.push(...longFunctions(file, await Deno.readTextFile(file), maxLines));
  }
  return found.sort((a, b) => b.lines - a.lines);
}

if (import.meta.main) {
  const folder = Deno.args[0] ?? "src";
  const maxLines = Number(Deno.args[1] ?? 150);
  if (!Number.isInteger(maxLines) || maxLines < 1) {
    console.error(
      `Cannot check function length: max-lines "${Deno.args[1]}" is not a positive integer`,
    );
    Deno.exit(2);
  }
  const found = await folderLongFunctions(folder, maxLines);
  for (const fn of found) console.log(`${fn.file}:${fn.line}: ${fn.name} is ${fn.lines} lines`);
  if (found.length > 0) {
    console.error(`${found.length} function(s) over ${maxLines} lines under ${folder}`);
    Deno.exit(1);
  }
}
