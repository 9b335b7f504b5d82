// Names that look alike: the confusable skeleton of Unicode TR39 (UTS #39, section 4),
// skeleton(s) = NFD(each code point of NFD(s) replaced by its prototype). `аlice` with a
// Cyrillic а, `aIice` with a capital I and `alice` all have the skeleton `alice`.
//
// The prototypes are confusables.txt (v13), as the npm package unhomoglyph ships it:
// about 6,300 single code points, each mapped to a short string. A handler starts per
// connection, so the table is not a Map or an object built from that package's data at
// start-up (building either cost 5-10 ms here) but three strings generated from it into
// confusables.json (`node --import tsx bin/confusables.ts`): each lookup is a binary
// search over fixed-width keys. That file (86 KB) is read the first time a join has a
// name to compare (about 1-2 ms): a join into an empty room never reads it, and it is no
// part of the handler's bundle, whose source every handler keeps in memory.
// test/unit/store/names.test.ts keeps the strings in step with the package.

import { readTable, type Table } from './confusables-table.js';

/** Characters of base 36 per key (code points up to 0x19A0FF) and per offset into VALUES (up to 46,655). */
const KEY_WIDTH = 4;
const OFFSET_WIDTH = 3;

/** The table's strings for a code point → replacement map (every key one code point). */
export function encodeTable(map: Record<string, string>): { KEYS: string; OFFSETS: string; VALUES: string } {
  const keys = Object.keys(map).map((k) => {
    const cp = k.codePointAt(0) ?? 0;
    if (String.fromCodePoint(cp) !== k) throw new Error(`confusables key ${JSON.stringify(k)} is not one code point`);
    return cp;
  });
  keys.sort((a, b) => a - b);
  let values = '';
  let offsets = '';
  for (const cp of keys) {
    offsets += values.length.toString(36).padStart(OFFSET_WIDTH, '0');
    values += map[String.fromCodePoint(cp)];
  }
  offsets += values.length.toString(36).padStart(OFFSET_WIDTH, '0');
  if (values.length >= 36 ** OFFSET_WIDTH || (keys.at(-1) ?? 0) >= 36 ** KEY_WIDTH) throw new Error('confusables table outgrew its widths');
  return { KEYS: keys.map((cp) => cp.toString(36).padStart(KEY_WIDTH, '0')).join(''), OFFSETS: offsets, VALUES: values };
}

function prototypeOf({ KEYS, OFFSETS, VALUES }: Table, cp: number): string | undefined {
  let lo = 0;
  let hi = KEYS.length / KEY_WIDTH - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const key = Number.parseInt(KEYS.slice(mid * KEY_WIDTH, (mid + 1) * KEY_WIDTH), 36);
    if (key === cp) {
      const at = (i: number) => Number.parseInt(OFFSETS.slice(i * OFFSET_WIDTH, (i + 1) * OFFSET_WIDTH), 36);
      return VALUES.slice(at(mid), at(mid + 1));
    }
    if (key < cp) lo = mid + 1;
    else hi = mid - 1;
  }
  return undefined;
}

export type Skeleton = (name: string) => string;
let loaded: Skeleton | undefined;

/**
 * The TR39 skeleton function: two names look alike when their skeletons are equal. Case
 * is kept (`Alice` is not `alice`).
 */
export function loadSkeleton(): Skeleton {
  if (loaded) return loaded;
  const table = readTable();
  // Most names are ASCII: their few confusables (`0` O, `1` l, `I` l, `m` rn) are looked up once.
  const ascii = Array.from({ length: 128 }, (_, c) => prototypeOf(table, c));
  loaded = (name) => {
    let out = '';
    for (const ch of name.normalize('NFD')) {
      const cp = ch.codePointAt(0) ?? 0;
      out += (cp < 128 ? ascii[cp] : prototypeOf(table, cp)) ?? ch;
    }
    return out.normalize('NFD');
  };
  return loaded;
}
