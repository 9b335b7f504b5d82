// dist/<handler>.cjs: runs dist/<handler>.bundle.cjs through V8's code cache.
// A handler starts per connection, and compiling its bundle was ~12 ms of each start
// (measured: welcome 86 → 73 ms, +0.2 MB private memory). The build writes
// dist/<handler>.cache from one real join and leave, so it holds every function a
// connection compiles. V8 rejects a cache from another node version or other flags; the
// handler then compiles as usual and leaves a fresh cache behind when it exits (if it
// may write there: best effort, atomically, since many handlers may try at once).
'use strict';
const { readFileSync, renameSync, writeFileSync } = require('node:fs');
const { Script } = require('node:vm');

const bundle = __filename.replace(/\.cjs$/, '.bundle.cjs');
const cache = __filename.replace(/\.cjs$/, '.cache');
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
if (cachedData === undefined || script.cachedDataRejected || process.env.TAILROOM_WRITE_CODE_CACHE) {
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
script.runInThisContext().call(module.exports, module.exports, require, module, bundle, __dirname);
