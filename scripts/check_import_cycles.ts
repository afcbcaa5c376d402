/**
 * Lists the import cycles among the modules under a folder (default `src/`)
 * and exits with status 1 when there is any.
 *
 * Every relative `import`/`export ... from` and `import("...")` in code counts,
 * type-only or not: a cycle through a type-only import still ties two files'
 * meanings together. Comments (JSDoc examples import their own module) do not.
 *
 * Usage: `deno run --allow-read scripts/check_import_cycles.ts [folder]`
 *
 * @module
 */

const _SPECIFIER =
  /(?:^|[\s;}])(?:import|export)\s+(?:type\s+)?(?:[\w*{}\s,$]+?\s+from\s+)?["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g;

/** Relative specifiers a TypeScript source imports or re-exports. */
export function importSpecifiers(source: string): string[] {
  const found: string[] = [];
  const code = source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
  for (const match of code.matchAll(_SPECIFIER)) {
    const specifier = match[1] ?? match[2];
    if (specifier.startsWith(".")) found.push(specifier);
  }
  return found;
}

/**
 * The strongly connected components with more than one module, or one module
 * importing itself (Tarjan's algorithm, iterative), each sorted by name.
 */
export function findCycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  let counter = 0;
  for (const root of graph.keys()) {
    if (index.has(root)) continue;
    const work: Array<{ node: string; next: number }> = [{ node: root, next: 0 }];
    index.set(root, counter);
    low.set(root, counter++);
    stack.push(root);
    onStack.add(root);
    while (work.length > 0) {
      const frame = work[work.length - 1];
      const edges = graph.get(frame.node) ?? [];
      if (frame.next < edges.length) {
        const target = edges[frame.next++];
        if (!graph.has(target)) continue;
        if (!index.has(target)) {
          index.set(target, counter);
          low.set(target, counter++);
          stack.push(target);
          onStack.add(target);
          work.push({ node: target, next: 0 });
        } else if (onStack.has(target)) {
          low.set(frame.node, Math.min(low.get(frame.node)!, index.get(target)!));
        }
        continue;
      }
      work.pop();
      if (work.length > 0) {
        const parent = work[work.length - 1].node;
        low.set(parent, Math.min(low.get(parent)!, low.get(frame.node)!));
      }
      if (low.get(frame.node) !== index.get(frame.node)) continue;
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== frame.node);
      const selfLoop = component.length === 1 && edges.includes(frame.node);
      if (component.length > 1 || selfLoop) cycles.push(component.sort());
    }
  }
  return cycles;
}

async function _collect(folder: string, graph: Map<string, string[]>): Promise<void> {
  for await (const entry of Deno.readDir(folder)) {
    const path = `${folder}/${entry.name}`;
    if (entry.isDirectory) await _collect(path, graph);
    else if (entry.isFile && path.endsWith(".ts") && !path.endsWith("_test.ts")) {
      const source = await Deno.readTextFile(path);
      const targets = importSpecifiers(source).map((s) => _resolve(path, s));
      graph.set(path, targets);
    }
  }
}

function _resolve(from: string, specifier: string): string {
  const parts = from.split("/").slice(0, -1);
  for (const part of specifier.split("/")) {
    if (part === "..") parts.pop();
    else if (part !== ".") parts.push(part);
  }
  return parts.join("/");
}

/** The folder-to-folder graph of a module graph (a module's folder is its parent path). */
export function folderGraph(graph: ReadonlyMap<string, readonly string[]>): Map<string, string[]> {
  const folders = new Map<string, Set<string>>();
  const folderOf = (path: string) => path.split("/").slice(0, -1).join("/");
  for (const [from, targets] of graph) {
    const edges = folders.get(folderOf(from)) ?? new Set<string>();
    folders.set(folderOf(from), edges);
    for (const target of targets) {
      if (graph.has(target) && folderOf(target) !== folderOf(from)) edges.add(folderOf(target));
    }
  }
  return new Map([...folders].map(([folder, edges]) => [folder, [...edges].sort()]));
}

if (import.meta.main) {
  const folder = (Deno.args[0] ?? "src").replace(/\/+$/, "");
  const graph = new Map<string, string[]>();
  await _collect(folder, graph);
  const cycles = findCycles(graph);
  const folderCycles = findCycles(folderGraph(graph));
  for (const cycle of cycles) console.log(`import cycle: ${cycle.join(" <-> ")}`);
  for (const cycle of folderCycles) console.log(`folder cycle: ${cycle.join(" <-> ")}`);
  console.log(
    `${graph.size} modules under ${folder}/: ${cycles.length} import cycle(s), ` +
      `${folderCycles.length} folder cycle(s)`,
  );
  if (cycles.length + folderCycles.length > 0) Deno.exit(1);
}
