// Lines for the append stress tests: a known size, and every byte checkable, so a line
// torn or glued to another is told apart from a whole one.

/** A line of exactly `bytes` bytes counting its newline (at least its JSON head). */
export function mixLine(tag: string, i: number, bytes: number): string {
  const head = JSON.stringify({ tag, i, pad: '' });
  return JSON.stringify({ tag, i, pad: mixPad(tag, i, Math.max(0, bytes - 1 - head.length)) });
}

function mixPad(tag: string, i: number, n: number): string {
  const unit = `${tag}.${i}.`;
  return unit.repeat(Math.ceil(n / unit.length)).slice(0, n);
}

/** The tag and index of a whole mixLine, or undefined for anything else (torn, glued, empty). */
export function parseMixLine(line: string): { tag: string; i: number } | undefined {
  try {
    const v = JSON.parse(line) as { tag?: unknown; i?: unknown; pad?: unknown };
    if (typeof v.tag !== 'string' || typeof v.i !== 'number' || typeof v.pad !== 'string') return undefined;
    return v.pad === mixPad(v.tag, v.i, v.pad.length) ? { tag: v.tag, i: v.i } : undefined;
  } catch {
    return undefined;
  }
}
