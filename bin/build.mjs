#!/usr/bin/env node
// Bundle each entry point into one file, so a process started per connection or per
// page view loads one file instead of walking node_modules (DESIGN.md section 1).
//   handlers/<name>.ts       → dist/<name>.cjs     (WebSocket handlers)
//   handlers/pages/<name>.ts → dist/cgi/<name>     (CGI pages: executable, no extension)
// Both are one line that runs the bundle (dist/<name>.bundle.cjs, dist/pages/<name>.bundle.cjs)
// through V8's code cache (<bundle>.cache, written here from one real run; see src/codecache.cjs).
//   bin/tailroom.ts          → dist/tailroom.mjs   (the operator CLI)
//   src/web/main.ts          → htdocs/build/app.js (the chat page's script; git-ignored,
//                                                    served by websocketd's --staticdir htdocs)
import { build } from 'esbuild';
import Handlebars from 'handlebars';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
mkdirSync(join(dist, 'cgi'), { recursive: true });
mkdirSync(join(dist, 'pages'), { recursive: true });
// Caches of earlier builds are named after bundles that no longer exist.
for (const dir of [dist, join(dist, 'pages')]) for (const f of readdirSync(dir)) if (f.endsWith('.cache')) rmSync(join(dir, f));
/** The name a bundle's code cache goes by (src/codecache.cjs says why), as a JS string literal. */
const digestOf = (file) => JSON.stringify(createHash('sha256').update(readFileSync(file)).digest('hex').slice(0, 16));
copyFileSync(join(root, 'src', 'codecache.cjs'), join(dist, 'codecache.cjs'));
// Node takes an extensionless file (dist/cgi/<page>) for ESM under our "type": "module":
// this makes the CommonJS page bundles load as what they are.
writeFileSync(join(dist, 'package.json'), '{ "type": "commonjs" }\n');

const common = { bundle: true, platform: 'node', target: 'node20', logLevel: 'warning', legalComments: 'none', minifySyntax: true, loader: { '.hbs': 'text', '.css': 'text' } };
// src/pages/templates.ts compiles templates/*.hbs when run by tsx; in a page bundle it is
// replaced by the same exports precompiled on the Handlebars runtime, so a page view loads
// neither the compiler nor the template sources.
const precompiledTemplates = {
  name: 'precompiled-templates',
  setup(b) {
    b.onLoad({ filter: /[\\/]src[\\/]pages[\\/]templates\.ts$/ }, () => {
      const dir = join(root, 'src', 'pages', 'templates');
      const files = readdirSync(dir).filter((f) => f.endsWith('.hbs')).sort();
      const entries = files.map((f) => `${JSON.stringify(f.slice(0, -4))}: Handlebars.template(${Handlebars.precompile(readFileSync(join(dir, f), 'utf8'))})`);
      const contents = `import Handlebars from 'handlebars/runtime';\nexport const hbs = Handlebars;\nexport const templates = {\n${entries.join(',\n')}\n};\n`;
      return { contents, loader: 'js', resolveDir: root, watchFiles: files.map((f) => join(dir, f)) };
    });
    // Pages never lock, but modules they share with the handler import proper-lockfile,
    // whose graceful-fs patching was half of a page's start-up: declared free of side
    // effects, it is left out wherever nothing reachable calls it.
    b.onResolve({ filter: /^proper-lockfile$/ }, async (args) => {
      if (args.pluginData?.inner) return undefined;
      const r = await b.resolve(args.path, { resolveDir: args.resolveDir, kind: args.kind, importer: args.importer, pluginData: { inner: true } });
      return { path: r.path, sideEffects: false };
    });
  },
};
const tsIn = (dir) => (existsSync(join(root, dir)) ? readdirSync(join(root, dir)).filter((f) => f.endsWith('.ts')) : []);

const jobs = [];
// A room handler starts per connection: proper-lockfile gets plain fs instead of
// graceful-fs, and signal-exit a one-line assert (src/shims/ says why).
const handlerAlias = { 'graceful-fs': join(root, 'src', 'shims', 'graceful-fs.cjs'), assert: join(root, 'src', 'shims', 'assert.cjs') };
for (const f of tsIn('handlers')) {
  const name = f.replace(/\.ts$/, '');
  jobs.push(
    build({ ...common, alias: handlerAlias, entryPoints: [join(root, 'handlers', f)], format: 'cjs', outfile: join(dist, `${name}.bundle.cjs`) }).then(() => {
      writeFileSync(join(dist, `${name}.cjs`), `'use strict';\nrequire('./codecache.cjs')(require('node:path').join(__dirname, ${JSON.stringify(name)}), ${digestOf(join(dist, `${name}.bundle.cjs`))});\n`);
      return warmCodeCache(join(dist, `${name}.cjs`), { PATH_INFO: '/build', QUERY_STRING: '', REMOTE_ADDR: '127.0.0.1' }, JSON.stringify({ type: 'msg', text: 'warming the code cache' }) + '\n');
    }),
  );
}
for (const f of tsIn('handlers/pages')) {
  const name = f.replace(/\.ts$/, '');
  const out = join(dist, 'cgi', name);
  jobs.push(
    build({ ...common, plugins: [precompiledTemplates], entryPoints: [join(root, 'handlers/pages', f)], format: 'cjs', outfile: join(dist, 'pages', `${name}.bundle.cjs`) }).then(() => {
      writeFileSync(out, `#!/usr/bin/env node\n'use strict';\nrequire('../codecache.cjs')(require('node:path').join(__dirname, '..', 'pages', ${JSON.stringify(name)}), ${digestOf(join(dist, 'pages', `${name}.bundle.cjs`))});\n`);
      chmodSync(out, 0o755);
      return warmCodeCache(out, { GATEWAY_INTERFACE: 'CGI/1.1', REQUEST_METHOD: 'GET', SCRIPT_NAME: `/${name}`, PATH_INFO: '/lobby', QUERY_STRING: '' }, '');
    }),
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
// The browser client: one script for the chat page, no framework (it imports only types
// from src/protocol.ts, so nothing of the server reaches the browser).
jobs.push(
  build({
    entryPoints: [join(root, 'src', 'web', 'main.ts')],
    bundle: true,
    platform: 'browser',
    format: 'iife',
    target: ['chrome100', 'firefox100', 'safari15'],
    minify: true,
    sourcemap: 'linked',
    logLevel: 'warning',
    legalComments: 'none',
    outfile: join(root, 'htdocs', 'build', 'app.js'),
  }),
);
await Promise.all(jobs);

/**
 * Write the code cache of `entry`: run it once as websocketd would (for the handler the
 * same V8 flags, or V8 rejects the cache), in a scratch data dir: the handler through a
 * join, a message and a leave; a page through one GET.
 */
function warmCodeCache(entry, cgi, input) {
  const data = mkdtempSync(join(tmpdir(), 'tailroom-build-'));
  const flags = JSON.parse(readFileSync(join(root, 'src', 'handler-flags.json'), 'utf8'));
  const env = {
    PATH: process.env.PATH,
    TAILROOM_CONF: join(root, 'conf', 'chat.ini'),
    TAILROOM_SET: JSON.stringify({ 'server.data_dir': data, 'stun.enabled': false }),
    TAILROOM_WRITE_CODE_CACHE: '1',
    ...cgi,
  };
  const page = !entry.endsWith('.cjs');
  const child = spawn(process.execPath, [...(page ? [] : flags), entry], { env, stdio: ['pipe', 'pipe', 'ignore'] });
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 10000);
    // A handler leaves when its stdin ends: after the welcome. A page reads no body on GET.
    if (page) child.stdin.end();
    else child.stdout.once('data', () => child.stdin.end(input));
    child.stdout.resume();
    child.once('exit', () => {
      clearTimeout(timer);
      rmSync(data, { recursive: true, force: true });
      const dir = page ? join(dist, 'pages') : dist;
      const name = page ? basename(entry) : basename(entry, '.cjs');
      if (!readdirSync(dir).some((f) => f.startsWith(`${name}.`) && f.endsWith('.cache'))) console.warn(`build: no code cache for ${entry} (it runs without)`);
      resolve();
    });
  });
}
