/**
 * The kernel's recorded verdicts (tests/data/kernel/, made by
 * `deno run -A tests/kernel/record.ts` on a real Linux kernel) against our
 * engine. Runs everywhere: no root, iptables or corpus needed.
 */
import assert from "node:assert/strict";
import type { KernelPacket } from "./_frames.ts";
import {
  type CheckerRow,
  compareTable,
  type Comparison,
  dataUrl,
  ourCheck,
  type VerdictTable,
} from "./_tables.ts";

function _read<T>(name: string): T {
  return JSON.parse(Deno.readTextFileSync(dataUrl(name)));
}

const packets = new Map<number, KernelPacket>(
  _read<{ packets: KernelPacket[] }>("packets.json").packets.map((p) => [p.id, p]),
);

function _explain(name: string, comparison: Comparison): string {
  const lines = comparison.disagreements.slice(0, 8).map((d) =>
    `  ${d.rule}\n    program: ${d.text}\n    packet ${d.packet}: kernel ${d.kernel}, ours ${
      JSON.stringify(d.ours)
    }\n    frame: ${d.frame.slice(0, 160)}${d.frame.length > 160 ? "…" : ""}`
  );
  return `${name}: ${comparison.disagreements.length} disagreement(s) with the kernel ` +
    `over ${comparison.compared} pairs\n${lines.join("\n")}`;
}

for (
  const [name, file] of [
    ["corpus programs compiled for raw IP", "corpus_programs.json"],
    ["random valid programs", "random_programs.json"],
    ["ancillary loads and negative windows", "ancillary.json"],
    ["u32 expressions", "u32.json"],
  ] as const
) {
  Deno.test(`kernel table (recorded): ${name} match the kernel packet by packet`, () => {
    const table = _read<VerdictTable>(file);
    assert.ok(table.delivered.includes("1"), "the table has delivered packets");
    const comparison = compareTable(table, packets);
    assert.ok(comparison.compared > 0);
    assert.ok(comparison.kernelMatched > 0 && comparison.kernelMatched < comparison.compared);
    assert.equal(comparison.disagreements.length, 0, _explain(name, comparison));
  });
}

Deno.test("kernel table (recorded): validate() refuses exactly what the kernel refuses", () => {
  const rows = _read<{ rows: CheckerRow[] }>("checker.json").rows;
  const corpus = _read<{ refused: { name: string; bytecode: string }[] }>("corpus_programs.json");
  const all = [
    ...rows,
    ...corpus.refused.map((r) => ({ ...r, kernelAccepts: false })),
  ];
  assert.ok(all.some((r) => r.kernelAccepts) && all.some((r) => !r.kernelAccepts));
  const wrong = all.flatMap((row) => {
    const ours = ourCheck(row.bytecode);
    return (ours === true) === row.kernelAccepts ? [] : [
      `  ${row.name}: kernel ${row.kernelAccepts ? "accepts" : "refuses"}, ours ${
        ours === true ? "accepts" : `refuses (${ours})`
      }\n    ${row.bytecode}`,
    ];
  });
  assert.equal(
    wrong.length,
    0,
    `${wrong.length} of ${all.length} differ:\n${wrong.slice(0, 10).join("\n")}`,
  );
});
