/**
 * Link-type names as tcpdump's `-y` takes them.
 *
 * @module
 */
import { UsageError } from "./usage_error.ts";

/** DLT/LINKTYPE names and the LINKTYPE_ values `compileFilter` takes. */
const _NAMES: Record<string, number> = {
  NULL: 0,
  EN10MB: 1,
  ETHERNET: 1,
  RAW: 101,
  LOOP: 108,
  LINUX_SLL: 113,
  IPV4: 228,
  IPV6: 229,
  LINUX_SLL2: 276,
};

/** Parses `EN10MB`, `linux_sll`, `DLT_RAW`, `LINKTYPE_IPV4` or a number. */
export function _parseLinkType(text: string, command: string): number {
  if (/^[0-9]+$/.test(text)) {
    const value = Number(text);
    if (value <= 0xffff) return value;
  } else {
    const name = text.toUpperCase().replace(/^(DLT|LINKTYPE)_/, "");
    const value = _NAMES[name];
    if (value !== undefined) return value;
  }
  throw new UsageError(
    `Cannot run ${command}: unknown link type '${text}' (use EN10MB, LINUX_SLL, LINUX_SLL2, NULL, LOOP, RAW, IPV4, IPV6 or a number)`,
    command,
  );
}

/** `113 (LINUX_SLL)`, or the number alone for a type without a name here. */
export function _linkTypeName(linkType: number): string {
  const entry = Object.entries(_NAMES).find(([name, value]) =>
    value === linkType && name !== "ETHERNET"
  );
  if (linkType === 12 || linkType === 14) return `${linkType} (RAW)`;
  return entry ? `${linkType} (${entry[0]})` : String(linkType);
}
