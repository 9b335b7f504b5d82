// One run of a freshly built entry point, as websocketd would start it, so that it leaves
// its V8 code cache behind (src/launch/codecache.cjs). A warm-up may fail — a page prints
// and exits before its input is written, a handler dies — and the build must not: every
// error of the child and of its pipes ends the run quietly, and the caller just finds no
// cache (the entry point then compiles at its first real start, and writes one itself).
import { spawn } from 'node:child_process';

/** Resolves when the child has exited (killed after `timeoutMs`), never rejects. */
export function warmUp(entry, { flags = [], env = {}, input = '', timeoutMs = 10000 } = {}) {
  return new Promise((resolve) => {
    let child;
    try {
      child = spawn(process.execPath, [...flags, entry], { env, stdio: ['pipe', 'pipe', 'ignore'] });
    } catch {
      return resolve();
    }
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    const ignore = () => undefined;
    child.on('error', ignore);
    child.stdin.on('error', ignore); // EPIPE: it exited before reading what we wrote
    child.stdout.on('error', ignore);
    // Its first line says it is up: then it gets its input (stdin's end makes a handler leave).
    child.stdout.once('data', () => {
      if (!child.stdin.destroyed) child.stdin.end(input);
    });
    child.stdout.resume();
    child.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
