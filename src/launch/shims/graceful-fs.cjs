// Stands in for graceful-fs in the room handler's bundle (see bin/build.mjs).
// graceful-fs clones and patches fs at load time to queue opens past EMFILE; a handler
// holds a handful of descriptors, so it pays that start-up cost for nothing.
module.exports = require('node:fs');
