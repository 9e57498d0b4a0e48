"""Structural checks of an object file before the JIT linker sees it.

LLVM's object readers and linkers trust their input: a damaged ELF file can fail one of
their assertions or reach an unchecked error or unreachable code and abort the process.
Flipping and truncating bytes of fx's own objects found, among others: "Alignment must be
power of 2", "Offset out of bounds!", "Duplicate defined symbol", "Edge cannot point to
anonymous target", "Block in allocated section has edge pointing to no-alloc section",
"Relocation type not implemented yet!" (RuntimeDyld; fx links with JITLink, which reports
an unknown relocation as an error) and an unsupported unwind pointer encoding. Object
files compiled in this process are linked as they are; those read back from the disk
cache pass `check_object` first, which refuses each of those: tables, strings, symbols
and relocations must lie inside the file and their sections, indices must name entries
that exist, symbol kinds, relocation types and unwind records must be ones LLVM emits
for fx's code. (The disk cache's checksum already makes such damage a deliberate act;
this is the second line.)

The checks cover ELF64 little-endian (Linux on x86-64, AArch64, ...); other formats get only
the header comparison, and LLVM's own parsing.
"""
from __future__ import annotations

import struct

_EHDR = struct.Struct("<16sHHIQQQIHHHHHH")
_SHDR = struct.Struct("<IIQQQQIIQQ")
_SYM = struct.Struct("<IBBHQQ")
_RELA = struct.Struct("<QQq")
_REL = struct.Struct("<QQ")
SHT_SYMTAB, SHT_STRTAB, SHT_RELA, SHT_NOBITS, SHT_REL = 2, 3, 4, 8, 9
SHF_ALLOC = 2
SHN_LORESERVE, SHN_ABS, SHN_COMMON = 0xFF00, 0xFFF1, 0xFFF2
STB_LOCAL = 0
# progbits, symtab, strtab, rela, note, nobits, rel, init/fini arrays, group, LLVM's
# address-significance table; and processor-specific types (0x7...): x86-64 unwind, ...
_SECTION_TYPES = {1, 2, 3, 4, 7, 8, 9, 14, 15, 17, 0x6FFF4C03}
_BINDINGS = {0, 1, 2}                 # local, global, weak
_SYMBOL_TYPES = {0, 1, 2, 3, 4}       # none, object, function, section, file
# Relocations LLVM emits for fx's code (large code model, no GOT or PLT), by machine;
# a machine not listed is left to the linker. x86-64: 64, PC32, 32, 32S, PC64.
_RELOCATION_TYPES = {62: {1, 2, 10, 11, 24}}
_ELF64_LE = b"\x7fELF\x02\x01"


class BadObject(ValueError):
    """An object file that must not reach the linker; the message says what is wrong."""


def identity_length(obj: bytes) -> int:
    """How many leading bytes all object files for one machine share: ELF's identification,
    type and machine; Mach-O's magic, CPU and file type; COFF's machine."""
    if obj.startswith(b"\x7fELF"):
        return 20
    return 16 if obj[:4] in (b"\xcf\xfa\xed\xfe", b"\xce\xfa\xed\xfe") else 2


def check_object(obj: bytes, identity: bytes) -> None:
    """Raise BadObject unless `obj` starts with `identity` (the leading bytes of an object
    this process emits) and, for ELF64 little-endian, is structurally sound."""
    if not obj.startswith(identity):
        raise BadObject("not an object file for this machine")
    if obj.startswith(_ELF64_LE):
        _check_elf64(memoryview(obj))


def _check_elf64(data):
    size = len(data)
    _need(size >= _EHDR.size, "shorter than an ELF header")
    (_ident, _type, machine, version, _entry, _phoff, shoff, _flags, ehsize, _phentsize, phnum,
     shentsize, shnum, shstrndx) = _EHDR.unpack_from(data)
    _need(version == 1 and ehsize == _EHDR.size and shentsize == _SHDR.size and phnum == 0,
          "unexpected ELF header fields")
    _need(0 < shnum < SHN_LORESERVE and shstrndx < shnum, "bad section count or name table index")
    _need(shoff + shnum * _SHDR.size <= size, "section table past the end of the file")
    sections = [_SHDR.unpack_from(data, shoff + i * _SHDR.size) for i in range(shnum)]
    _need(not any(sections[0]), "section 0 is not empty")
    for _name, kind, _flags, _addr, offset, length, link, _info, align, _entsize in sections[1:]:
        _need(kind in _SECTION_TYPES or kind >> 28 == 7, "unsupported section type")
        _need(align > 0 and align & (align - 1) == 0, "section alignment not a power of two")
        _need(kind == SHT_NOBITS or offset + length <= size, "section past the end of the file")
        _need(link < shnum, "section link out of range")
        _need(kind != SHT_STRTAB or length > 0 and data[offset + length - 1] == 0,
              "string table not terminated")
    for _name, kind, _flags, _addr, offset, length, link, info, _align, entsize in sections:
        if kind == SHT_SYMTAB:
            _check_symbols(data, sections, offset, length, link, info, entsize)
    for _name, kind, _flags, _addr, offset, length, link, info, _align, entsize in sections:
        if kind in (SHT_RELA, SHT_REL):   # after the symbols they refer to
            _check_relocations(data, machine, sections, kind, offset, length, link, info, entsize)
    _need(sections[shstrndx][1] == SHT_STRTAB, "section names are not a string table")
    names_offset, names_length = sections[shstrndx][4], sections[shstrndx][5]
    _need(all(s[0] < names_length for s in sections), "section name out of range")
    for name, kind, _flags, _addr, offset, length, *_ in sections:
        if kind != SHT_NOBITS and data.obj.startswith(b".eh_frame\0", names_offset + name):
            _check_eh_frame(data, offset, length)


def _check_symbols(data, sections, offset, length, link, info, entsize):
    _need(entsize == _SYM.size and length % _SYM.size == 0 and 0 < info <= length // _SYM.size,
          "bad symbol table shape")
    _need(sections[link][1] == SHT_STRTAB, "symbol names are not a string table")
    _need(not any(data[offset:offset + _SYM.size]), "symbol 0 is not empty")
    names_offset, names_length = sections[link][4], sections[link][5]
    defined, exported = set(), []   # names of the defined symbols; of the non-local ones
    for pos in range(offset + _SYM.size, offset + length, _SYM.size):
        name, kind, _other, shndx, value, _size = _SYM.unpack_from(data, pos)
        binding = kind >> 4
        _need(name < names_length, "symbol name out of range")
        _need(kind & 0xF in _SYMBOL_TYPES and binding in _BINDINGS, "unsupported symbol type or binding")
        _need((binding == STB_LOCAL) == ((pos - offset) // _SYM.size < info), "local symbols not first")
        if 0 < shndx < SHN_LORESERVE:
            _need(shndx < len(sections), "symbol in a section that does not exist")
            _need(sections[shndx][1] == SHT_NOBITS or value <= sections[shndx][5],
                  "symbol past the end of its section")
        else:
            _need(shndx in (0, SHN_ABS, SHN_COMMON), "symbol with an unsupported section index")
        if shndx and name:
            start = names_offset + name
            text = bytes(data[start:data.obj.index(b"\0", start)])
            if binding != STB_LOCAL:
                exported.append(text)
            else:
                defined.add(text)
    _need(len(set(exported)) == len(exported) and defined.isdisjoint(exported), "a symbol defined twice")


def _check_relocations(data, machine, sections, kind, offset, length, link, info, entsize):
    layout = _RELA if kind == SHT_RELA else _REL
    _need(entsize == layout.size and length % layout.size == 0, "bad relocation table shape")
    _need(sections[link][1] == SHT_SYMTAB and 0 < info < len(sections),
          "relocations without a symbol table or target section")
    symtab = sections[link]
    target_flags, target_length = sections[info][2], sections[info][5]
    types = _RELOCATION_TYPES.get(machine)
    for pos in range(offset, offset + length, layout.size):
        where, rinfo = layout.unpack_from(data, pos)[:2]
        _need(where + 8 <= target_length, "relocation past the end of its section")
        _need(rinfo >> 32 < symtab[5] // _SYM.size, "relocation of a symbol that does not exist")
        _need(types is None or rinfo & 0xFFFFFFFF in types, "unsupported relocation type")
        shndx = _SYM.unpack_from(data, symtab[4] + (rinfo >> 32) * _SYM.size)[3]
        _need(not target_flags & SHF_ALLOC or not 0 < shndx < SHN_LORESERVE or sections[shndx][2] & SHF_ALLOC,
              "loaded code refers to a section that is not loaded")


def _check_eh_frame(data, start, length):
    """Unwind records: each inside the section, each FDE naming a CIE before it, each CIE's
    augmentation one the linker's parser supports ("zR" with a pc-relative pointer
    encoding, or none)."""
    end, pos, cies = start + length, start, set()
    while pos < end:
        _need(pos + 4 <= end, "unwind record past the end of its section")
        size = int.from_bytes(data[pos:pos + 4], "little")
        if size == 0:           # terminator
            break
        _need(8 <= size + 4 <= end - pos and size != 0xFFFFFFFF, "unwind record past the end of its section")
        record = bytes(data[pos + 4:pos + 4 + size])
        cie_pointer = int.from_bytes(record[:4], "little")
        if cie_pointer == 0:
            _check_cie(record[4:])
            cies.add(pos)
        else:
            _need(pos + 4 - cie_pointer in cies, "unwind record names no CIE")
        pos += 4 + size


def _check_cie(body):
    _need(len(body) > 1 and body[0] in (1, 3) and b"\0" in body[1:], "unsupported CIE")
    augmentation, rest = body[1:].split(b"\0", 1)
    _need(augmentation in (b"", b"zR"), "unsupported CIE augmentation")
    if augmentation:
        for _ in range(3 if body[0] == 3 else 2):   # code and data alignment, return register
            rest = _skip_leb128(rest)
        if body[0] == 1:
            rest = rest[1:]
        rest = _skip_leb128(rest)                    # augmentation data length
        _need(rest and rest[0] & 0xF0 == 0x10 and rest[0] & 0x0F in (0, 3, 4, 0xB, 0xC),
              "unsupported unwind pointer encoding")


def _skip_leb128(data):
    for i, byte in enumerate(data):
        if not byte & 0x80:
            return data[i + 1:]
    raise BadObject("truncated unwind record")


def _need(condition, problem):
    if not condition:
        raise BadObject(problem)


def global_symbols(obj: bytes) -> tuple[set[str], set[str]] | None:
    """(names defined, names used but not defined) among a sound ELF64 little-endian
    object's global and weak symbols; None for another format."""
    if not obj.startswith(_ELF64_LE):
        return None
    data = memoryview(obj)
    header = _EHDR.unpack_from(data)
    shoff, shnum = header[6], header[12]
    sections = [_SHDR.unpack_from(data, shoff + i * _SHDR.size) for i in range(shnum)]
    defined, undefined = set(), set()
    for _name, kind, _flags, _addr, offset, length, link, info, _align, _entsize in sections:
        if kind != SHT_SYMTAB:
            continue
        names = sections[link][4]
        for pos in range(offset + info * _SYM.size, offset + length, _SYM.size):
            name, _kind, _other, shndx, _value, _size = _SYM.unpack_from(data, pos)
            text = obj[names + name:obj.index(b"\0", names + name)].decode("utf-8", "replace")
            (defined if shndx else undefined).add(text)
    return defined, undefined
