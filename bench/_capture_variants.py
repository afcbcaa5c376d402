#!/usr/bin/env python3
"""Rewrites a classic pcap of Ethernet frames (bench/make_capture.ts's output:
little-endian, microseconds) as a variant the CLI-against-tcpdump cases read
(bench/cli_vs_tcpdump_cases.sh); what editcap cannot make:

  big-endian   the same records, the file and record headers big-endian
  sll          LINKTYPE_LINUX_SLL (113): the Ethernet header replaced by a
               16-byte cooked header (packet type, ARPHRD_ETHER, the source
               address, the EtherType)
  sll2         LINKTYPE_LINUX_SLL2 (276): the same as a 20-byte SLL2 header
  raw          LINKTYPE_RAW (101): the IPv4 and IPv6 frames without their
               Ethernet header (the others left out)
  jumbo        every frame padded to 1,514-9,014 bytes (zeros after the
               frame's own bytes), captured whole; every 6th frame kept

Usage: bench/_capture_variants.py VARIANT IN OUT
"""
import struct
import sys

variant, source, target = sys.argv[1], sys.argv[2], sys.argv[3]
data = open(source, "rb").read()
magic, major, minor, zone, sigfigs, snaplen, link = struct.unpack_from("<IHHiIII", data, 0)
assert magic == 0xA1B2C3D4 and link == 1, "a little-endian microsecond Ethernet pcap"
out = []
order = ">" if variant == "big-endian" else "<"
link_types = {"big-endian": 1, "sll": 113, "sll2": 276, "raw": 101, "jumbo": 1}
if variant == "jumbo":
    snaplen = 262144
out.append(struct.pack(order + "IHHiIII", 0xA1B2C3D4, major, minor, zone, sigfigs, snaplen, link_types[variant]))
at = 24
index = 0
state = 12345
while at + 16 <= len(data):
    seconds, micros, captured, wire = struct.unpack_from("<IIII", data, at)
    frame = data[at + 16 : at + 16 + captured]
    at += 16 + captured
    index += 1
    if variant == "big-endian":
        pass
    elif variant in ("sll", "sll2"):
        ethertype = frame[12:14]
        source_mac = frame[6:12]
        kind = index % 5 == 0 and 4 or 0  # PACKET_OUTGOING now and then, else PACKET_HOST
        if variant == "sll":
            head = struct.pack(">HHH", kind, 1, 6) + source_mac + b"\0\0" + ethertype
        else:
            head = ethertype + b"\0\0" + struct.pack(">IHBB", 2, 1, kind, 6) + source_mac + b"\0\0"
        frame = head + frame[14:]
        wire += len(head) - 14
    elif variant == "raw":
        if frame[12:14] not in (b"\x08\x00", b"\x86\xdd"):
            continue
        frame = frame[14:]
        wire -= 14
    elif variant == "jumbo":
        if index % 6:
            continue
        state = (state * 1103515245 + 12345) & 0x7FFFFFFF
        size = 1514 + state % 7501
        frame = frame + bytes(size - len(frame))
        wire = size
    captured = len(frame)
    out.append(struct.pack(order + "IIII", seconds, micros, captured, wire))
    out.append(frame)
open(target, "wb").write(b"".join(out))
