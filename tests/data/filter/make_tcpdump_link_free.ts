/**
 * Records tests/data/filter/tcpdump_link_free.json: the programs (`-ddd`) or
 * errors tcpdump gives for expressions on link types libpcap has no
 * link-layer description for (`tcpdump -r HEADER_ONLY_PCAP -ddd EXPR`), and
 * which link types 0..299 those are (the ones where `ip` is "link-layer type
 * filtering not implemented"). Run: `deno run -A tests/data/filter/make_tcpdump_link_free.ts`.
 */
import { linkFreeCases, tcpdumpOnLinkType } from "../../_tcpdump_link_free.ts";

const cases = [];
for (const { expr, linktype } of linkFreeCases()) {
  cases.push({ expr, linktype, ...tcpdumpOnLinkType(expr, linktype) });
}
const linkFree: number[] = [];
for (let linktype = 0; linktype < 300; linktype++) {
  const ip = tcpdumpOnLinkType("ip", linktype);
  if (ip.error?.endsWith("link-layer type filtering not implemented")) linkFree.push(linktype);
}
const out = new URL("./tcpdump_link_free.json", import.meta.url);
Deno.writeTextFileSync(out, JSON.stringify({ tcpdump: "4.99.3 / libpcap 1.10.3", linkFree, cases }, null, 1) + "\n");
