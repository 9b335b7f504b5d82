// Runs a bundle through V8's code cache: dist/room.cjs and every dist/cgi/<page> are one
// line that calls this with their bundle (dist/room, dist/pages/<page>) and a digest of it.
// A process starts per connection and per page view, and compiling its bundle was
// ~10 ms of each start (measured: handler welcome 77 → 68 ms, +0.2 MB private memory).
// The build writes the cache from one real run, so it holds every function such a run
// compiles. V8 rejects a cache from another node version or other flags; the
// process then compiles as usual and leaves a fresh cache behind when it exits (if it
// may write there: best effort, atomically, since many processes may try at once).
// V8 checks only the source's length, not its content, so the cache is named after the
// bundle's digest: a rebuilt bundle never meets an old cache.
'use strict';
const { readFileSync, renameSync, writeFileSync } = require('node:fs');
const { Script } = require('node:vm');

module.exports = function runCached(base, digest) {
  const bundle = `${base}.bundle.cjs`;
  const cache = `${base}.${digest}.cache`;
  let cachedData;
  try {
    cachedData = readFileSync(cache);
  } catch {
    // no cache yet: compile, and leave one behind
  }
  const script = new Script(`(function (exports, require, module, __filename, __dirname) {${readFileSync(bundle, 'utf8')}\n})`, {
    filename: bundle,
    cachedData,
  });
  if (cachedData === undefined || script.cachedDataRejected) {
    process.once('exit', () => {
      try {
        const tmp = `${cache}.${process.pid}`;
        writeFileSync(tmp, script.createCachedData());
        renameSync(tmp, cache);
      } catch {
        // a read-only install: it runs without
      }
    });
  }
  const mod = { exports: {} };
  script.runInThisContext().call(mod.exports, mod.exports, require, mod, bundle, require('node:path').dirname(bundle));
};
