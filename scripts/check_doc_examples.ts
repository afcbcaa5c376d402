/**
 * Lists the JSDoc `@example` blocks under a folder (default `src/`) that call
 * no `assert`, and exits with status 1 when there is any: an example that only
 * prints cannot fail under `deno test --doc`.
 *
 * Usage: `deno run --allow-read scripts/check_doc_examples.ts [folder]`
 *
 * @module
 */

/** One `@example` block that asserts nothing, by file and 1-based line. */
export interface UnassertedExample {
  file: string;
  line: number;
}

const _ASSERT_CALL = /\bassert(?:\.\w+)?\s*\(/;

/** The 1-based lines of the `@example` tags in `source` whose block calls no `assert`. */
export function unassertedExampleLines(source: string): number[] {
  const lines = source.split("\n");
  const found: number[] = [];
  for (let index = 0; index < lines.length; index++) {
    if (!/^\s*\*?\s*@example\b/.test(lines[index])) continue;
    let body = "";
    for (let next = index + 1; next < lines.length; next++) {
      const line = lines[next];
      if (/^\s*\*?\s*@\w+/.test(line) || line.includes("*/")) break;
      body += line + "\n";
    }
    if (!_ASSERT_CALL.test(body)) found.push(index + 1);
  }
  return found;
}

/** Every unasserted example in the `.ts` files under `folder`, in path order. */
export async function unassertedExamples(folder: string): Promise<UnassertedExample[]> {
  const files: string[] = [];
  const walk = async (dir: string) => {
    for await (const entry of Deno.readDir(dir)) {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory) await walk(path);
      else if (entry.isFile && path.endsWith(".ts")) files.push(path);
    }
  };
  await walk(folder.replace(/\/+$/, ""));
  files.sort();
  const found: UnassertedExample[] = [];
  for (const file of files) {
    for (const line of unassertedExampleLines(await Deno.readTextFile(file))) {
      found.push({ file, line });
    }
  }
  return found;
}

if (import.meta.main) {
  const found = await unassertedExamples(Deno.args[0] ?? "src");
  for (const { file, line } of found) console.error(`${file}:${line}: @example asserts nothing`);
  if (found.length > 0) Deno.exit(1);
}
