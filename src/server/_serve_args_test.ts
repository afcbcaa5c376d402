/** The memory flags of `bpfstream serve` (issue 13). */
import assert from "node:assert/strict";
import { _parseServeArgs } from "./_serve_args.ts";
import { _resolveLimits } from "./app_deps.ts";
import { _StreamAdmission } from "./_stream_admission.ts";

Deno.test("serve --max-compiled-rules takes a positive rule count; unset, the app's default applies", () => {
  assert.equal(_parseServeArgs(["--max-compiled-rules", "20000"]).maxCompiledRules, 20000);
  assert.equal(_parseServeArgs([]).maxCompiledRules, undefined);
  assert.equal(_resolveLimits({}).maxCompiledRules, 10_000);
  for (const bad of ["0", "-1", "many"]) {
    assert.throws(() => _parseServeArgs(["--max-compiled-rules", bad]), { name: "UsageError" });
  }
});

Deno.test("with the default limits the stream count binds first; with 1 MiB records, the memory budget", () => {
  const refusal = (limits: ReturnType<typeof _resolveLimits>) => {
    const admission = new _StreamAdmission(
      limits.maxStreams,
      limits.maxStreamMemoryBytes,
      limits.maxRecordBytes,
    );
    for (let admitted = 0;; admitted++) {
      try {
        admission.admit();
      } catch (error) {
        return { admitted, code: (error as { body: { code: string } }).body.code };
      }
    }
  };
  assert.deepEqual(refusal(_resolveLimits({})), { admitted: 64, code: "TOO_MANY_STREAMS" });
  // 1 MiB + 64 KiB + 640 KiB = 1.6875 MiB each: 37 fit in 64 MiB.
  assert.deepEqual(refusal(_resolveLimits({ maxRecordBytes: 1024 * 1024 })), {
    admitted: 37,
    code: "MEMORY_BUDGET",
  });
});
