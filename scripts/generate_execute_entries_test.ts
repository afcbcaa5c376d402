import assert from "node:assert/strict";
import { COPY, ENTRIES_FILE, entriesSource, ENTRY_COPIES } from "./generate_execute_entries.ts";
import { _ENTRY_LITERALS } from "../src/bpf/_execute_entries.ts";

/** Code without whitespace: what `deno fmt` may change is not a difference. */
const bare = (text: string) => text.replace(/\s+/g, "");

Deno.test("src/bpf/_execute_entries.ts is what scripts/generate_execute_entries.ts writes", async () => {
  const written = await Deno.readTextFile(ENTRIES_FILE);
  assert.equal(
    bare(written),
    bare(entriesSource()),
    "stale or edited: run `deno run --allow-read --allow-write --allow-run scripts/generate_execute_entries.ts`",
  );
  // Every copy is the same text (a copy edited by hand, say a constant, makes the file differ).
  const copies = written.split("\n  { run:").slice(1).map((copy) => copy.split("\n];")[0]);
  assert.equal(copies.length, ENTRY_COPIES);
  assert.equal(new Set(copies.map(bare)).size, 1);
  assert.equal(bare("  { run:" + copies[0]), bare(COPY));
  assert.equal(_ENTRY_LITERALS.length, ENTRY_COPIES);
});
