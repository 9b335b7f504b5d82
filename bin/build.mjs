#!/usr/bin/env node
// Bundle each entry point into one file, so a process started per connection or per
// page view loads one file instead of walking node_modules (DESIGN.md section 1).
//   handlers/<name>.ts       → dist/<name>.cjs     (WebSocket handlers)
//   handlers/pages/<name>.ts → dist/cgi/<name>     (CGI pages: executable, no extension)
//   bin/tailroom.ts          → dist/tailroom.mjs   (the operator CLI)
import { build } from 'esbuild';
import { chmodSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
mkdirSync(join(dist, 'cgi'), { recursive: true });

const common = { bundle: true, platform: 'node', target: 'node20', logLevel: 'warning', legalComments: 'none', minifySyntax: true, loader: { '.hbs': 'text', '.css': 'text' } };
const tsIn = (dir) => (existsSync(join(root, dir)) ? readdirSync(join(root, dir)).filter((f) => f.endsWith('.ts')) : []);

const jobs = [];
for (const f of tsIn('handlers')) {
  jobs.push(build({ ...common, entryPoints: [join(root, 'handlers', f)], format: 'cjs', outfile: join(dist, f.replace(/\.ts$/, '.cjs')) }));
}
for (const f of tsIn('handlers/pages')) {
  const out = join(dist, 'cgi', f.replace(/\.ts$/, ''));
  jobs.push(
    build({ ...common, entryPoints: [join(root, 'handlers/pages', f)], format: 'cjs', outfile: out, banner: { js: '#!/usr/bin/env node' } }).then(() => chmodSync(out, 0o755)),
  );
}
jobs.push(
  build({
    ...common,
    entryPoints: [join(root, 'bin', 'tailroom.ts')],
    format: 'esm',
    outfile: join(dist, 'tailroom.mjs'),
    // Bundled CommonJS dependencies still call require() for Node built-ins.
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  }),
);
await Promise.all(jobs);
