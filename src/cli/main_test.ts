/**
 * The executable's own I/O: pipes enlarged where FFI is allowed, with the
 * same bytes out either way.
 */
import assert from "node:assert/strict";
import { _enlargePipes } from "./main.ts";
import { runCli } from "./run_cli.ts";
import { _testIo } from "./_test_io.ts";
import { _packets, _repeatMixed } from "./_test_capture.ts";

const linux = Deno.build.os === "linux";
const IS_TCP = "4,48 0 0 9,21 0 1 6,6 0 0 1,6 0 0 0";

/** libc's pipe, fcntl, open and close, for making and measuring pipes here. */
function _libc() {
  return Deno.dlopen("libc.so.6", {
    pipe: { parameters: ["buffer"], result: "i32" },
    fcntl: { parameters: ["i32", "i32", "i32"], result: "i32" },
    open: { parameters: ["buffer", "i32"], result: "i32" },
    close: { parameters: ["i32"], result: "i32" },
  });
}

Deno.test({
  name: "_enlargePipes enlarges a pipe to 1 MiB and leaves anything else alone",
  ignore: !linux, // pipe capacities are Linux's
  fn() {
    const libc = _libc();
    try {
      const fds = new Int32Array(2);
      assert.equal(libc.symbols.pipe(fds), 0);
      const [readEnd, writeEnd] = fds;
      const devNull = libc.symbols.open(new TextEncoder().encode("/dev/null\0"), 1);
      assert.ok(devNull >= 0);
      try {
        const F_GETPIPE_SZ = 1032;
        assert.equal(libc.symbols.fcntl(writeEnd, F_GETPIPE_SZ, 0), 65536);
        assert.deepEqual(_enlargePipes([writeEnd, devNull]), [writeEnd]);
        // The capacity belongs to the pipe: both ends see it.
        assert.equal(libc.symbols.fcntl(readEnd, F_GETPIPE_SZ, 0), 1 << 20);
        assert.deepEqual(_enlargePipes([readEnd]), [], "already that large");
      } finally {
        for (const fd of [readEnd, writeEnd, devNull]) libc.symbols.close(fd);
      }
    } finally {
      libc.close();
    }
  },
});

Deno.test({
  name: "main.ts in a pipeline writes the same bytes with and without FFI (enlarged pipes)",
  ignore: !linux, // pipe capacities are Linux's
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      const input = _repeatMixed(3000);
      await Deno.writeFile(`${dir}/in.pcap`, input);
      // The oracle: the same filter on the in-memory I/O.
      const t = _testIo({ stdin: input, chunkSize: 4096, reads: [65536] });
      assert.equal(await runCli(["filter", "--bytecode", IS_TCP], t.io), 0);
      const expected = t.stdout();
      assert.ok(_packets(expected).length > 0 && expected.length < input.length);
      const main = new URL("./main.ts", import.meta.url).pathname;
      for (const flags of ["--allow-read --allow-write --allow-env", "-A"]) {
        const script = `cat in.pcap | "${Deno.execPath()}" run ${flags} "${main}" ` +
          `filter --bytecode "${IS_TCP}" | cat > out.pcap`;
        const run = await new Deno.Command("sh", { args: ["-c", script], cwd: dir }).output();
        assert.equal(run.code, 0, new TextDecoder().decode(run.stderr));
        assert.deepEqual(await Deno.readFile(`${dir}/out.pcap`), expected, flags);
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
