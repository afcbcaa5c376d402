/**
 * Link-type names as tcpdump's `-y` takes them.
 *
 * @module
 */
import {
  DLT_RAW_12,
  DLT_RAW_14,
  LINKTYPE_ETHERNET,
  LINKTYPE_IPV4,
  LINKTYPE_IPV6,
  LINKTYPE_LINUX_SLL,
  LINKTYPE_LINUX_SLL2,
  LINKTYPE_LOOP,
  LINKTYPE_NULL,
  LINKTYPE_RAW,
} from "../capture/link_types.ts";
import { UsageError } from "../args/usage_error.ts";

/** The names `-y` takes (tcpdump's DLT names, `LINKTYPE_` and `DLT_` prefixes optional). */
const _NAMES: Record<string, number> = {
  NULL: LINKTYPE_NULL,
  EN10MB: LINKTYPE_ETHERNET,
  ETHERNET: LINKTYPE_ETHERNET,
  RAW: LINKTYPE_RAW,
  LOOP: LINKTYPE_LOOP,
  LINUX_SLL: LINKTYPE_LINUX_SLL,
  IPV4: LINKTYPE_IPV4,
  IPV6: LINKTYPE_IPV6,
  LINUX_SLL2: LINKTYPE_LINUX_SLL2,
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
  if (linkType === DLT_RAW_12 || linkType === DLT_RAW_14) return `${linkType} (RAW)`;
  return entry ? `${linkType} (${entry[0]})` : String(linkType);
}
