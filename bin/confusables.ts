// Regenerate src/store/confusables.json from the npm package unhomoglyph (confusables.txt
// as a code point → prototype map), after updating that package:
//   node --import tsx bin/confusables.ts
// Everything beyond ASCII is written as \u escapes: no bidi or invisible characters in the file.

import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { encodeTable } from '../src/store/confusables.js';

const require = createRequire(import.meta.url);
const pkg = require('unhomoglyph/package.json') as { version: string };
const table = encodeTable(JSON.parse(readFileSync(require.resolve('unhomoglyph/data.json'), 'utf8')) as Record<string, string>);

// JSON.stringify leaves non-ASCII as it is: escape it, so the file is plain ASCII.
const ascii = (json: string) => json.replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
const out = ascii(JSON.stringify({ source: `unhomoglyph ${pkg.version} (confusables.txt), by bin/confusables.ts`, ...table }, null, 2));
writeFileSync(new URL('../src/store/confusables.json', import.meta.url), `${out}\n`);
