import assert from "node:assert/strict";
import { COPY, JOINT_COPIES, JOINTS_FILE, jointsSource } from "./generate_tree_joints.ts";
import { _JOINT_LITERALS } from "../src/bpf/_execute_tree_joint_literals.ts";

/** Code without whitespace: what `deno fmt` may change is not a difference. */
const bare = (text: string) => text.replace(/\s+/g, "");

Deno.test("src/bpf/_execute_tree_joint_literals.ts is what scripts/generate_tree_joints.ts writes", async () => {
  const written = await Deno.readTextFile(JOINTS_FILE);
  assert.equal(
    bare(written),
    bare(jointsSource()),
    "stale or edited: run `deno run --allow-read --allow-write --allow-run scripts/generate_tree_joints.ts`",
  );
  // Every copy is the same text (a copy edited by hand makes the file differ).
  const copies = written.split("\n  (next) =>").slice(1).map((copy) => copy.split("\n];")[0]);
  assert.equal(copies.length, JOINT_COPIES);
  assert.equal(new Set(copies.map(bare)).size, 1);
  assert.equal(bare("  (next) =>" + copies[0]), bare(COPY));
  assert.equal(_JOINT_LITERALS.length, JOINT_COPIES);
});
