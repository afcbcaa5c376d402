/**
 * `filter --expr E` on the link base stops, as `tcpdump -r IN -w OUT E`
 * does, at an interface E cannot be compiled for (a link type the compiler
 * does not know, or an expression libpcap refuses there: `ip` on
 * DLT_USER0), instead of dropping its packets silently: the packets before
 * it are written, then the run fails naming the input, the link type and
 * the compiler's reason. Rule files keep their per-interface meaning (a
 * rule whose program cannot be made for an interface does not match there).
 *
 * @module
 */
import type { CaptureDecoderOptions } from "../capture/capture_decoder.ts";
import type { _ProgramSource } from "./_program.ts";

/**
 * The decoder's `refuseInterface` for the one expression of `filter --expr`
 * (`source`, on `base`), or `undefined` where every interface has a program
 * (`--bytecode`, the network base, a rule file).
 */
export function _expressionInterfaceCheck(
  source: _ProgramSource | undefined,
  base: "link" | "network" | undefined,
): CaptureDecoderOptions["refuseInterface"] {
  if (source === undefined || source.fixed || base !== "link") return undefined;
  return (captureInterface) => {
    try {
      source.forInterface(captureInterface);
      return undefined;
    } catch (error) {
      return error instanceof Error ? error.message : String(error);
    }
  };
}
