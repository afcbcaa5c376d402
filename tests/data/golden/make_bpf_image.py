#!/usr/bin/env python3
"""Golden disassembly for programs pcap_compile never emits, from libpcap's own bpf_image().

Writes bpf_image/NAME.ddd (the program, in tcpdump -ddd form) and bpf_image/NAME.d (what
`tcpdump -d` would print for it: bpf_image(insn, i) per instruction, one per line), by calling
bpf_image() in the installed libpcap (1.10.3) through ctypes. Programs are built from fixed
tables and a fixed linear congruential generator, so reruns give identical files.
"""
import ctypes
import os

LIB = ctypes.CDLL("libpcap.so.1.10.3")


class Insn(ctypes.Structure):
    _fields_ = [("code", ctypes.c_ushort), ("jt", ctypes.c_ubyte), ("jf", ctypes.c_ubyte),
                ("k", ctypes.c_uint)]


LIB.bpf_image.restype = ctypes.c_char_p
LIB.bpf_image.argtypes = [ctypes.POINTER(Insn), ctypes.c_int]

state = 12345


def rand32():
    global state
    state = (state * 1103515245 + 12345) & 0xFFFFFFFF
    return state


def write(name, program):
    with open(f"bpf_image/{name}.ddd", "w") as f:
        f.write(f"{len(program)}\n")
        for code, jt, jf, k in program:
            f.write(f"{code} {jt} {jf} {k}\n")
    with open(f"bpf_image/{name}.d", "w") as f:
        for i, (code, jt, jf, k) in enumerate(program):
            insn = Insn(code, jt, jf, k)
            f.write(LIB.bpf_image(ctypes.byref(insn), i).decode() + "\n")


os.makedirs("bpf_image", exist_ok=True)
AD = 0xFFFFF000
NET = 0xFFF00000
LL = 0xFFE00000

write("codes_zero", [(c, 0, 0, 0) for c in range(256)])
write("codes_random", [(c, rand32() & 0xFF, rand32() & 0xFF, rand32()) for c in range(256)])
write("codes_negative", [(c, 255, 255, 0xFFFFFFFF - c) for c in range(256)])
write("codes_small", [(c, c & 7, (c >> 3) & 7, c * 3) for c in range(256)])
write("codes_high", [(c, 1, 2, 14) for c in (0x100, 0x106, 0x120, 0x128, 0x1015, 0x8006,
                                            0xFFFF, 0xFF00, 0x0115)])
anc = []
for code in (0x20, 0x28, 0x30, 0x40, 0x48, 0x50, 0xB1, 0x00, 0x01):
    for off in list(range(0, 68)) + [-1, -4, 0x1000 - 1]:
        anc.append((code, 0, 0, (AD + off) & 0xFFFFFFFF))
write("ancillary", anc)
windows = []
for code in (0x20, 0x28, 0x30, 0x40, 0x48, 0x50, 0xB1):
    for k in (NET, NET + 9, NET + 0xFFFFF, NET - 1, LL, LL + 14, LL - 1, 0x7FFFFFFF,
              0x80000000, 0x80000001, 0xFFFFFFFF, 0xFFFFFFFE):
        windows.append((code, 0, 0, k))
write("windows", windows)
jumps = []
for code in (0x05, 0x15, 0x1D, 0x25, 0x2D, 0x35, 0x3D, 0x45, 0x4D):
    for jt, jf, k in ((0, 0, 0), (255, 255, 0xFFFFFFFF), (1, 254, 0x7FFFFFFF), (7, 0, 0x80000000),
                      (0, 9, 1)):
        jumps.append((code, jt, jf, k))
write("jumps", jumps)
long_program = []
for i in range(1100):
    code = (0x05, 0x15, 0x25, 0x20, 0x06, 0x94, 0xA4, 0x84, 0x87, 0x07)[rand32() % 10]
    long_program.append((code, rand32() & 0xFF, rand32() & 0xFF, rand32()))
write("long", long_program)
