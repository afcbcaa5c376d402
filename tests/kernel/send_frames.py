#!/usr/bin/env python3
"""Send raw Ethernet frames on one interface with an AF_PACKET socket.

Used by tests/kernel/harness.ts inside a network namespace the harness
created (run through `ip netns exec`). Reads lines from stdin; each line
holds one or more frames in hex (the whole frame from the destination MAC
on), separated by spaces. Sends them in order, then answers with one JSON
line {"sent": N, "errors": [[frame_index, "message"], ...]} and waits for
the next line, so the harness can read counters between frames.

The process pins itself to one CPU so that its frames enter one CPU's
receive backlog in order (a veth hands a frame to netif_rx on the sending
CPU); the harness sends a sentinel frame after each frame and waits for it.
"""
import json
import os
import socket
import sys


def main() -> int:
    if len(sys.argv) != 2:
        print("usage: send_frames.py IFNAME < frames.hex", file=sys.stderr)
        return 2
    ifname = sys.argv[1]
    try:
        cpus = sorted(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpus[0]})
    except (AttributeError, OSError):
        pass
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
    sock.bind((ifname, 0))
    for line in sys.stdin:
        sent = 0
        errors = []
        for index, frame in enumerate(line.split()):
            try:
                sock.send(bytes.fromhex(frame))
                sent += 1
            except (OSError, ValueError) as error:
                errors.append([index, str(error)])
        sys.stdout.write(json.dumps({"sent": sent, "errors": errors}) + "\n")
        sys.stdout.flush()
    sock.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
