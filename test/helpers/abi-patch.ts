// A copy of a Node-API-less addon that claims another ABI, to test what a runtime says about
// a binary built for someone else (as Electron would about node_modules' build, reversed).
// Such an addon registers a `node_module` struct (a static `_module`) whose first int is the
// NODE_MODULE_VERSION it was built for, and exports node_register_module_v<N>: both change.
// ELF64 little-endian only (Linux x64/arm64), which is where these tests run.
import { readFileSync } from 'node:fs';

function sectionHeaders(elf: Buffer) {
  if (elf.readUInt32BE(0) !== 0x7f454c46 || elf[4] !== 2 || elf[5] !== 1) throw new Error('not an ELF64 little-endian file');
  const shoff = Number(elf.readBigUInt64LE(0x28));
  const shentsize = elf.readUInt16LE(0x3a);
  const shnum = elf.readUInt16LE(0x3c);
  return Array.from({ length: shnum }, (_, i) => {
    const at = shoff + i * shentsize;
    return {
      type: elf.readUInt32LE(at + 4),
      addr: Number(elf.readBigUInt64LE(at + 0x10)),
      offset: Number(elf.readBigUInt64LE(at + 0x18)),
      size: Number(elf.readBigUInt64LE(at + 0x20)),
      link: elf.readUInt32LE(at + 0x28),
      entsize: Number(elf.readBigUInt64LE(at + 0x38)),
    };
  });
}

/** The file offset of a symbol's value, from the (unstripped) .symtab. */
function symbolOffset(elf: Buffer, names: string[]): number {
  const sections = sectionHeaders(elf);
  const symtab = sections.find((s) => s.type === 2); // SHT_SYMTAB
  if (!symtab) throw new Error('no .symtab (stripped binary)');
  const strtab = sections[symtab.link]!;
  for (let at = symtab.offset; at < symtab.offset + symtab.size; at += symtab.entsize) {
    const nameAt = strtab.offset + elf.readUInt32LE(at);
    const end = elf.indexOf(0, nameAt);
    if (!names.includes(elf.toString('latin1', nameAt, end))) continue;
    const value = Number(elf.readBigUInt64LE(at + 8));
    const section = sections[elf.readUInt16LE(at + 6)]!;
    return section.offset + (value - section.addr);
  }
  throw new Error(`no symbol ${names.join(' or ')}`);
}

export function withModuleVersion(nodeFile: string, from: number, to: number): Buffer {
  const elf = Buffer.from(readFileSync(nodeFile));
  // C++ mangles the file-static `_module` as _ZL7_module.
  const at = symbolOffset(elf, ['_module', '_ZL7_module']);
  if (elf.readInt32LE(at) !== from) throw new Error(`${nodeFile}: _module.nm_version is ${elf.readInt32LE(at)}, not ${from}`);
  elf.writeInt32LE(to, at);
  const was = Buffer.from(`node_register_module_v${from}`);
  const now = Buffer.from(`node_register_module_v${to}`);
  if (was.length !== now.length) throw new Error('ABI numbers of different lengths');
  for (let i = elf.indexOf(was); i !== -1; i = elf.indexOf(was, i + 1)) now.copy(elf, i);
  return elf;
}
