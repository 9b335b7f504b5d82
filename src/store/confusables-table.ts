// The confusables table (src/store/confusables.ts says how it is encoded), read from
// confusables.json beside this module. A bundle gets a copy of that file beside itself
// instead (bin/build.mjs): 86 KB of strings in the bundle's source cost every handler
// ~0.4 MB even when never compiled.

import { readFileSync } from 'node:fs';

export interface Table {
  KEYS: string;
  OFFSETS: string;
  VALUES: string;
}

export function readTable(): Table {
  return JSON.parse(readFileSync(new URL('./confusables.json', import.meta.url), 'utf8')) as Table;
}
