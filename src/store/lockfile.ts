// proper-lockfile, loaded on first use. At load it hooks the process's signals (to drop
// its locks on exit); done at import time that would also keep the handler from being
// baked into a V8 start-up snapshot, and pages that never lock would pay for it.

type ProperLockfile = typeof import('proper-lockfile');
let lib: ProperLockfile | undefined;

export async function properLockfile(): Promise<ProperLockfile> {
  if (!lib) {
    const m = (await import('proper-lockfile')) as ProperLockfile & { default?: ProperLockfile };
    lib = m.default ?? m;
  }
  return lib;
}
