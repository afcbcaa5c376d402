#!/bin/sh
# Regenerates the tcpdump golden files from cases.tsv (one "LINKTYPE<TAB>expression" per line).
# For case number N (1-based line, zero-padded) it writes tcpdump/N.d, N.dd and N.ddd with
#   tcpdump -y LINKTYPE -d|-dd|-ddd 'expression'
# Made with tcpdump 4.99.3 / libpcap 1.10.3 on Linux; CI only reads the files.
# Also runs make_bpf_image.py, which calls libpcap's bpf_image() directly for programs that
# pcap_compile never emits (every opcode, ancillary loads, negative windows).
set -eu
cd "$(dirname "$0")"
rm -rf tcpdump && mkdir tcpdump
n=0
while IFS="$(printf '\t')" read -r linktype expr; do
  n=$((n + 1))
  name=$(printf '%03d' "$n")
  for flag in d dd ddd; do
    tcpdump -y "$linktype" "-$flag" "$expr" > "tcpdump/$name.$flag"
  done
done < cases.tsv
python3 make_bpf_image.py
