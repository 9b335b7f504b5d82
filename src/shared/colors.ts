// Chatter colours: stored as lower-case #rrggbb so pages can put them in CSS as they are.

import colorNames from 'color-name';

/** Readable on a light and a dark background alike. */
const PALETTE = ['#c0392b', '#2e86c1', '#27ae60', '#8e44ad', '#d35400', '#16a085', '#b7950b', '#c2185b', '#5d6d7e', '#6d4c41'];

function hex2(n: number): string {
  return n.toString(16).padStart(2, '0');
}

/** `#abc`, `#aabbcc` or a CSS colour name → `#aabbcc`; undefined when not a colour. */
export function normalizeColor(value: string): string | undefined {
  const v = value.trim().toLowerCase();
  let m = /^#([0-9a-f]{6})$/.exec(v);
  if (m) return `#${m[1]}`;
  m = /^#([0-9a-f])([0-9a-f])([0-9a-f])$/.exec(v);
  if (m) return `#${m[1]}${m[1]}${m[2]}${m[2]}${m[3]}${m[3]}`;
  const rgb = Object.hasOwn(colorNames, v) ? (colorNames as Record<string, number[]>)[v] : undefined;
  return rgb ? `#${rgb.map(hex2).join('')}` : undefined;
}

/** A stable colour for a name, so the same person keeps it across visits. */
export function defaultColor(name: string): string {
  let h = 0;
  for (const ch of name) h = (h * 31 + (ch.codePointAt(0) ?? 0)) >>> 0;
  return PALETTE[h % PALETTE.length];
}
