// htdocs/build/highlight.js: highlight.js and its few languages, kept out of app.js and
// loaded by src/web/inserts.ts the first time a code block names a language.

import { highlightCode } from '../shared/highlight.js';

globalThis.tailroomHighlight = highlightCode;
