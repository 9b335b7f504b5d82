// Chatter colours: stored as lower-case #rrggbb so pages can put them in CSS as they are.

/** Readable on a light and a dark background alike. */
const PALETTE = ['#c0392b', '#2e86c1', '#27ae60', '#8e44ad', '#d35400', '#16a085', '#b7950b', '#c2185b', '#5d6d7e', '#6d4c41'];

/** A stable colour for a name, so the same person keeps it across visits. */
export function defaultColor(name: string): string {
  let h = 0;
  for (const ch of name) h = (h * 31 + (ch.codePointAt(0) ?? 0)) >>> 0;
  // The index is always in range; the fallback only satisfies the type.
  return PALETTE[h % PALETTE.length] ?? '#5d6d7e';
}

/**
 * `c` when it is a colour as stored (`#rrggbb`, lower case), else undefined: a colour read
 * from a file or from the wire goes into CSS only when it passes.
 */
export function validColor(c: unknown): string | undefined {
  return typeof c === 'string' && /^#[0-9a-f]{6}$/.test(c) ? c : undefined;
}
