#!/bin/sh
# Regenerates tshark_frames.json: for every capture of the conformance corpus,
# what tshark reports for each record: frame.len, frame.cap_len, frame.md5_hash
# of the captured bytes, and frame.interface_id (0 for pcap; null for a record
# without an encapsulation, i.e. not a packet, such as a pcapng custom block,
# which tshark lists too). CI has no tshark: this output is committed and
# tests/capture_corpus_test.ts compares the decoder against it.
#
# Usage (from the repository root): sh tests/data/capture/make_tshark_frames.sh
# Made with: TShark (Wireshark) 4.x as installed by apt on Debian.
set -eu
corpus="$(dirname "$0")/../../../../shared/conformance/pcap"
out="$(dirname "$0")/tshark_frames.json"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for f in "$corpus"/*.pcap "$corpus"/*.pcapng "$corpus"/*.cap; do
  name=$(basename "$f")
  tshark -n -r "$f" -o frame.generate_md5_hash:TRUE -T fields \
    -e frame.len -e frame.cap_len -e frame.md5_hash -e frame.interface_id -e frame.encap_type \
    > "$tmp/$name.tsv"
done
python3 - "$tmp" "$out" "$(tshark --version | head -1)" <<'PY'
import json, os, sys
tmp, out, version = sys.argv[1], sys.argv[2], sys.argv[3]
files = {}
for name in sorted(os.listdir(tmp)):
    rows = []
    for line in open(os.path.join(tmp, name)):
        cols = line.rstrip("\n").split("\t")
        rows.append([int(cols[0]), int(cols[1]), cols[2], (int(cols[3]) if cols[3] else 0) if cols[4] else None])
    files[name[:-4]] = rows
with open(out, "w") as fh:
    json.dump({"generator": version + " -T fields -e frame.len -e frame.cap_len -e frame.md5_hash -e frame.interface_id",
               "files": files}, fh, separators=(",", ":"))
    fh.write("\n")
PY
echo "wrote $out"
