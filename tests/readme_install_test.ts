/**
 * The documented install uses the locked dependency versions: the README's
 * `deno install -g` line passes deno.json and deno.lock, and deno.json names
 * exact versions that deno.lock resolves to themselves (an installed command
 * resolves deno.json again at run time, without the lock).
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";

const read = (name: string) => readFileSync(new URL(`../${name}`, import.meta.url), "utf8");

Deno.test("README's deno install line uses deno.json and deno.lock", () => {
  const lines = read("README.md").split("\n").filter((l) => l.startsWith("deno install -g"));
  assert.ok(lines.length >= 1);
  for (const line of lines) {
    assert.match(line, /--config "\$PWD\/deno\.json"/);
    assert.match(line, /--lock "\$PWD\/deno\.lock"/);
  }
});

Deno.test("deno.json pins every npm import exactly, as deno.lock resolves it", () => {
  const imports: Record<string, string> = JSON.parse(read("deno.json")).imports;
  const lock = JSON.parse(read("deno.lock"));
  for (const [name, specifier] of Object.entries(imports)) {
    if (!specifier.startsWith("npm:")) continue;
    const match = /^npm:(@?[^@]+)@(\d+\.\d+\.\d+)$/.exec(specifier);
    assert.ok(match, `${name}: ${specifier} is not an exact version`);
    const resolved: string = lock.specifiers[specifier];
    assert.ok(resolved?.startsWith(match[2]), `${specifier} → ${resolved} in deno.lock`);
  }
});
