// The page templates (templates/*.hbs; a leading underscore marks a partial).
// Under tsx (development, unit tests) they are read and compiled here, at first use.
// bin/build.mjs replaces this whole module in the CGI bundles with the same exports,
// precompiled, on the small Handlebars runtime: a page view never loads the compiler.

import Handlebars from 'handlebars';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const hbs: typeof Handlebars = Handlebars;

const dir = fileURLToPath(new URL('./templates/', import.meta.url));

export const templates: Record<string, Handlebars.TemplateDelegate> = Object.fromEntries(
  readdirSync(dir)
    .filter((f) => f.endsWith('.hbs'))
    .map((f) => [f.slice(0, -4), Handlebars.compile(readFileSync(join(dir, f), 'utf8'))]),
);
