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
//   src/web/highlight-entry.ts → htdocs/build/highlight.js (loaded by app.js on demand)
//   src/web/sw.ts            → htdocs/sw.js       (the service worker; git-ignored too)
import { build } from 'esbuild';
import Handlebars from 'handlebars';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { warmUp } from './warm-up.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
mkdirSync(join(dist, 'cgi'), { recursive: true });
mkdirSync(join(dist, 'pages'), { recursive: true });
// Caches of earlier builds are named after bundles that no longer exist.
for (const dir of [dist, join(dist, 'pages')]) for (const f of readdirSync(dir)) if (f.endsWith('.cache')) rmSync(join(dir, f));
copyFileSync(join(root, 'src', 'launch', 'codecache.cjs'), join(dist, 'codecache.cjs'));
// Node takes an extensionless file (dist/cgi/<page>) for ESM under our "type": "module":
// this makes the CommonJS page bundles load as what they are.
writeFileSync(join(dist, 'package.json'), '{ "type": "commonjs" }\n');

// What markdown-it imports for the rules src/shared/markdown.ts leaves off (the shim says which).
const unusedByMarkdown = join(root, 'src', 'launch', 'shims', 'markdown-it-unused.mjs');
const markdownAlias = { entities: unusedByMarkdown, 'linkify-it': unusedByMarkdown, 'punycode.js': unusedByMarkdown };

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  logLevel: 'warning',
  legalComments: 'none',
  minifySyntax: true,
  loader: { '.hbs': 'text', '.css': 'text' },
};
// src/pages/templates.ts compiles templates/*.hbs when run by tsx; in a page bundle it is
// replaced by the same exports precompiled on the Handlebars runtime, so a page view loads
// neither the compiler nor the template sources.
const precompiledTemplates = {
  name: 'precompiled-templates',
  setup(b) {
    b.onLoad({ filter: /[\\/]src[\\/]pages[\\/]templates\.ts$/ }, () => {
      const dir = join(root, 'src', 'pages', 'templates');
      const files = readdirSync(dir)
        .filter((f) => f.endsWith('.hbs'))
        .sort();
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
// The confusables table is read, the first time a join compares names, from a copy of
// src/store/confusables.json beside the bundle: kept out of the bundle's source, where it
// cost every handler memory even while never compiled (src/store/confusables-table.ts).
const confusablesBeside = {
  name: 'confusables-beside',
  setup(b) {
    b.onLoad({ filter: /[\\/]src[\\/]store[\\/]confusables-table\.ts$/ }, () => ({
      contents:
        "import { readFileSync } from 'node:fs';\nimport { join } from 'node:path';\n" +
        "export const readTable = () => JSON.parse(readFileSync(join(__dirname, 'confusables.json'), 'utf8'));\n",
      loader: 'js',
    }));
  },
};
for (const dir of [dist, join(dist, 'pages')]) copyFileSync(join(root, 'src', 'store', 'confusables.json'), join(dir, 'confusables.json'));
// markdown-it has a few characters above U+00FF in regex literals, which esbuild keeps as
// they are (oneByteSource below refuses them): written as \u escapes, they mean the same.
const markdownItLatin1 = {
  name: 'markdown-it-latin1',
  setup(b) {
    b.onLoad({ filter: /[\\/]markdown-it[\\/]dist[\\/].*\.mjs$/ }, (args) => ({
      contents: readFileSync(args.path, 'utf8').replace(/[\u0100-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`),
      loader: 'js',
    }));
  },
};
const tsIn = (dir) => (existsSync(join(root, dir)) ? readdirSync(join(root, dir)).filter((f) => f.endsWith('.ts')) : []);

const jobs = [];
// A room handler starts per connection: proper-lockfile gets plain fs instead of
// graceful-fs, and signal-exit a one-line assert (src/launch/shims/ says why).
const handlerAlias = { 'graceful-fs': join(root, 'src', 'launch', 'shims', 'graceful-fs.cjs'), assert: join(root, 'src', 'launch', 'shims', 'assert.cjs') };
for (const f of tsIn('handlers')) {
  const name = f.replace(/\.ts$/, '');
  const base = join(dist, name);
  jobs.push(
    build({
      ...common,
      alias: handlerAlias,
      plugins: [confusablesBeside],
      entryPoints: [join(root, 'handlers', f)],
      format: 'cjs',
      outfile: `${base}.bundle.cjs`,
    }).then(() =>
      cachedEntry(`${base}.cjs`, base, {
        flags: JSON.parse(readFileSync(join(root, 'src', 'launch', 'handler-flags.json'), 'utf8')),
        env: { PATH_INFO: '/build', QUERY_STRING: '', REMOTE_ADDR: '127.0.0.1' },
        // A handler leaves when its stdin ends: after the welcome, with one message.
        input: `${JSON.stringify({ type: 'msg', text: 'warming the code cache' })}\n`,
      }),
    ),
  );
}
for (const f of tsIn('handlers/pages')) {
  const name = f.replace(/\.ts$/, '');
  const out = join(dist, 'cgi', name);
  const base = join(dist, 'pages', name);
  jobs.push(
    build({
      ...common,
      alias: markdownAlias,
      plugins: [precompiledTemplates, confusablesBeside, markdownItLatin1],
      entryPoints: [join(root, 'handlers/pages', f)],
      format: 'cjs',
      outfile: `${base}.bundle.cjs`,
    }).then(() =>
      cachedEntry(out, base, {
        env: { GATEWAY_INTERFACE: 'CGI/1.1', REQUEST_METHOD: 'GET', SCRIPT_NAME: `/${name}`, PATH_INFO: '/lobby', QUERY_STRING: '' },
      }),
    ),
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
const browserBuild = {
  bundle: true,
  platform: 'browser',
  target: ['chrome100', 'firefox100', 'safari15'],
  minify: true,
  logLevel: 'warning',
  legalComments: 'none',
};
jobs.push(
  build({
    ...browserBuild,
    entryPoints: [join(root, 'src', 'web', 'main.ts')],
    alias: markdownAlias,
    format: 'iife',
    sourcemap: 'linked',
    outfile: join(root, 'htdocs', 'build', 'app.js'),
  }).then(() => serviceWorker()),
);
// Syntax highlighting for the chat page, loaded by app.js the first time a code block
// names a language (src/web/inserts.ts): highlight.js would double app.js for rooms that
// never show code.
jobs.push(
  build({
    ...browserBuild,
    entryPoints: [join(root, 'src', 'web', 'highlight-entry.ts')],
    format: 'iife',
    outfile: join(root, 'htdocs', 'build', 'highlight.js'),
  }),
);
await Promise.all(jobs);

/**
 * The service worker (src/web/sw.ts) at the top of htdocs, the directory its scope is, told
 * the app shell's files and a digest of their contents: a new build with any of them changed
 * is a new cache, and the old one is dropped when the new worker takes over.
 */
function serviceWorker() {
  const htdocs = join(root, 'htdocs');
  const files = [
    'build/app.js',
    'style.css',
    'chat.css',
    'manifest.json',
    'offline.html',
    ...['emoticons', 'icons'].flatMap((dir) =>
      readdirSync(join(htdocs, dir))
        .filter((f) => /\.(svg|png)$/.test(f))
        .sort()
        .map((f) => `${dir}/${f}`),
    ),
  ];
  const digest = createHash('sha256');
  for (const f of files) digest.update(`${f}\0`).update(readFileSync(join(htdocs, f)));
  return build({
    ...browserBuild,
    entryPoints: [join(root, 'src', 'web', 'sw.ts')],
    format: 'iife',
    define: { SHELL_VERSION: JSON.stringify(digest.digest('hex').slice(0, 16)), SHELL_FILES: JSON.stringify(files) },
    outfile: join(htdocs, 'sw.js'),
  });
}

/**
 * A process starts per connection and per page view, and V8 keeps its whole source in
 * memory: one character above U+00FF anywhere (a "→" in a comment esbuild kept) makes that
 * a two-byte string, measured +340 KB of private memory per handler. Refuse such a bundle.
 */
function oneByteSource(bundle) {
  const text = readFileSync(bundle, 'utf8');
  const at = text.search(/[\u0100-\u{10ffff}]/u);
  if (at === -1) return;
  const line = text.slice(0, at).split('\n').length;
  console.error(
    `build: ${bundle}:${line} has ${JSON.stringify(text[at])}, outside Latin-1: V8 would hold the whole bundle as two-byte text (escape it, or keep it out of comments)`,
  );
  process.exitCode = 1;
}

/**
 * Make `entry` the one-line loader of `<base>.bundle.cjs` (src/launch/codecache.cjs), then write
 * its code cache: run it once as websocketd would (for the handler with the same V8 flags,
 * or V8 rejects the cache), in a scratch data dir. The loader writes the cache itself when
 * it finds none, and the caches of earlier builds were removed above.
 */
function cachedEntry(entry, base, { flags = [], env, input = '' }) {
  oneByteSource(`${base}.bundle.cjs`);
  // V8 checks only the source's length: the cache is named after the bundle's digest.
  const digest = createHash('sha256')
    .update(readFileSync(`${base}.bundle.cjs`))
    .digest('hex')
    .slice(0, 16);
  const target = JSON.stringify(relative(dirname(entry), base));
  writeFileSync(
    entry,
    `#!/usr/bin/env node\n'use strict';\nrequire('${relative(dirname(entry), dist) || '.'}/codecache.cjs')(require('node:path').join(__dirname, ${target}), '${digest}');\n`,
  );
  chmodSync(entry, 0o755);
  const data = mkdtempSync(join(tmpdir(), 'tailroom-build-'));
  const childEnv = {
    PATH: process.env.PATH,
    TAILROOM_CONF: join(root, 'conf', 'chat.ini'),
    TAILROOM_SET: JSON.stringify({ 'server.data_dir': data, 'stun.enabled': false }),
    ...env,
  };
  return warmUp(entry, { flags, env: childEnv, input }).then(() => {
    rmSync(data, { recursive: true, force: true });
    if (!existsSync(`${base}.${digest}.cache`)) console.warn(`build: no code cache for ${entry} (it runs without)`);
  });
}
