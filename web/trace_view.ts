/**
 * The trace panel: the decision for the clicked packet and, for each program
 * of the deciding rule, every executed instruction with A, X and M[].
 *
 * @module
 */
/// <reference lib="dom" />
import { element } from "./dom.ts";
import type { PacketTrace } from "./messages.ts";
import { hex } from "./trace_decision.ts";

/** Shows `trace` in `node`. */
export function renderTrace(node: HTMLElement, trace: PacketTrace): void {
  const verdict = trace.accepted ? "ACCEPT" : "DROP";
  const head = element(
    "p",
    "decision",
    `Packet ${trace.index + 1}: ${verdict} by ${trace.decision}`,
  );
  head.dataset.packet = String(trace.index);
  const parts: HTMLElement[] = [head];
  if (trace.programs.length === 0) {
    parts.push(element("p", "hint", "The deciding rule or policy runs no program on the packet."));
  }
  trace.programs.forEach((program, p) => {
    parts.push(element("h3", "", `${program.label} (${program.base} base)`));
    if (program.notRun) {
      parts.push(element("p", "hint", `Not run: ${program.notRun}`));
      return;
    }
    const table = element("table", "trace-steps");
    table.dataset.program = String(p);
    const header = element("tr");
    for (const name of ["pc", "instruction", "A", "X", "M[]"]) {
      header.append(element("th", "", name));
    }
    table.append(header);
    for (const row of program.rows) {
      const tr = element("tr", "step");
      tr.append(
        element("td", "pc", String(row.pc)),
        element("td", "instruction", row.instruction),
        element("td", "a", hex(row.a)),
        element("td", "x", hex(row.x)),
        element("td", "scratch", row.scratch),
      );
      table.append(tr);
    }
    parts.push(table);
    if (program.abort) parts.push(element("p", "abort", `aborted: ${program.abort}`));
    parts.push(
      element(
        "p",
        "result",
        `result: ${program.result} (${program.result === 0 ? "no match" : "match"})`,
      ),
    );
  });
  node.replaceChildren(...parts);
}
