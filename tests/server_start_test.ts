/** A failed `serve` start leaves no KV file behind. */
import assert from "node:assert/strict";
import { serve } from "../src/server/main.ts";

Deno.test("serve() that cannot listen removes the KV file it created", async () => {
  const busy = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const dir = await Deno.makeTempDir();
  const kv = `${dir}/rules.kv`;
  try {
    await assert.rejects(
      serve({ hostname: "127.0.0.1", port: (busy.addr as Deno.NetAddr).port, kv }),
    );
    assert.deepEqual([...Deno.readDirSync(dir)], []);
    // A KV file that was there before is kept.
    await Deno.writeFile(kv, new Uint8Array(0));
    await assert.rejects(
      serve({ hostname: "127.0.0.1", port: (busy.addr as Deno.NetAddr).port, kv }),
    );
    assert.ok(Deno.statSync(kv).isFile);
  } finally {
    busy.close();
    await Deno.remove(dir, { recursive: true });
  }
});
