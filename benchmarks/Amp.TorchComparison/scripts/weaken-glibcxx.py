#!/usr/bin/env python3
"""Marks one symbol-version requirement of an ELF shared object weak, and the symbols bound to it weak.

usage: weaken-glibcxx.py LIB.so VERSION   (e.g. GLIBCXX_3.4.32)

TorchSharp 0.107's libLibTorchSharp.so was linked against GCC 13's libstdc++ and so requires GLIBCXX_3.4.32 for a
single symbol (std::ios_base_library_init, referenced by <iostream> but never called). Debian 12's libstdc++ stops at
GLIBCXX_3.4.30, so the loader refuses the library. With VER_FLG_WEAK on the requirement the loader accepts the
older libstdc++, and binding the symbol STB_WEAK lets it resolve to null. Idempotent; touches only the named entries.
"""
import struct
import sys

VER_FLG_WEAK = 0x2
SHT_DYNSYM, SHT_GNU_VERNEED, SHT_GNU_VERSYM = 11, 0x6FFFFFFE, 0x6FFFFFFF
STB_WEAK = 2

path, version = sys.argv[1], sys.argv[2]
data = bytearray(open(path, 'rb').read())
if data[:4] != b'\x7fELF' or data[4] != 2:
    sys.exit(f'{path}: not a 64-bit ELF file')

shoff, = struct.unpack_from('<Q', data, 0x28)
shentsize, shnum = struct.unpack_from('<HH', data, 0x3A)
sections = []
for i in range(shnum):
    _, kind, _, _, offset, size, link, _, _, _ = struct.unpack_from('<IIQQQQIIQQ', data, shoff + i * shentsize)
    sections.append((kind, offset, size, link))


def section(kind):
    return next(s for s in sections if s[0] == kind)


def text(offset):
    return data[offset:data.index(0, offset)].decode()


_, verneed, _, strtab_index = section(SHT_GNU_VERNEED)
strtab = sections[strtab_index][1]
index = None
entry = verneed
while True:
    _, count, _, aux, following = struct.unpack_from('<HHIII', data, entry)
    at = entry + aux
    for _ in range(count):
        _, flags, other, name, next_aux = struct.unpack_from('<IHHII', data, at)
        if text(strtab + name) == version:
            struct.pack_into('<H', data, at + 4, flags | VER_FLG_WEAK)
            index = other
        at += next_aux
    if following == 0:
        break
    entry += following

if index is None:
    print(f'{path}: requires no {version}; nothing to do')
    sys.exit(0)

_, dynsym, dynsym_size, _ = section(SHT_DYNSYM)
_, versym, _, _ = section(SHT_GNU_VERSYM)
for i in range(dynsym_size // 24):
    if struct.unpack_from('<H', data, versym + 2 * i)[0] & 0x7FFF == index:
        symbol = dynsym + 24 * i
        data[symbol + 4] = (STB_WEAK << 4) | (data[symbol + 4] & 0xF)
        struct.pack_into('<H', data, versym + 2 * i, 1)  # unversioned
        print(f'{path}: {text(strtab + struct.unpack_from("<I", data, symbol)[0])} bound weak')

open(path, 'wb').write(data)
print(f'{path}: {version} requirement marked weak')
