// What a chatter types as a colour, made into a stored one. Apart from colors.ts because
// the table of CSS colour names is most of its weight, and the browser needs none of it.

import colorNames from 'color-name';

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
