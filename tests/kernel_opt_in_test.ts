/**
 * The live kernel tests (network namespaces, iptables) run only with
 * BPFS_KERNEL_TESTS=1: `deno task test` as root must not touch the kernel.
 */
import assert from "node:assert/strict";
import { KernelHarness } from "./kernel/harness.ts";

Deno.test("KernelHarness.skipReason() refuses unless BPFS_KERNEL_TESTS=1, before probing anything", async () => {
  const saved = Deno.env.get("BPFS_KERNEL_TESTS");
  try {
    for (const value of [undefined, "0", "yes"]) {
      if (value === undefined) Deno.env.delete("BPFS_KERNEL_TESTS");
      else Deno.env.set("BPFS_KERNEL_TESTS", value);
      assert.equal(
        await KernelHarness.skipReason(),
        "live kernel tests are opt-in: set BPFS_KERNEL_TESTS=1 (needs root, netns, iptables)",
      );
    }
  } finally {
    if (saved === undefined) Deno.env.delete("BPFS_KERNEL_TESTS");
    else Deno.env.set("BPFS_KERNEL_TESTS", saved);
  }
});
