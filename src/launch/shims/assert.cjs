// Stands in for node:assert in the room handler's bundle (see bin/build.mjs). Only
// signal-exit (under proper-lockfile) asks for it, for one argument check at start-up;
// node:assert builds its error printer and process.stderr when loaded (~3 ms a start).
module.exports = {
  equal(actual, expected, message) {
    if (actual !== expected) throw new Error(message);
  },
};
