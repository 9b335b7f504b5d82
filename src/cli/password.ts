// A new password for an admin verb: from stdin (`--password-stdin`, for scripts: a
// password in argv would show in ps and in shell history), or typed twice on a terminal
// without echo. Never from a flag's value.

import { MAX_PASSWORD_BYTES, passwordProblem } from '../store/passwords.js';
import { UsageError } from './roomarg.js';

/** The whole of stdin, one trailing newline dropped; refused past what a password may hold. */
export async function passwordFromStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin as AsyncIterable<Buffer>) {
    size += chunk.length;
    // A line ending and a little more than the limit, so the error can say the limit.
    if (size > MAX_PASSWORD_BYTES + 2) throw new Error(`a password may have at most ${MAX_PASSWORD_BYTES} bytes`);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
  if (text.includes('\n')) throw new Error('a password is one line');
  return text;
}

/** One line typed on the terminal, shown as nothing; Ctrl-C gives up. */
function readHidden(prompt: string): Promise<string> {
  const stdin = process.stdin;
  process.stderr.write(prompt);
  return new Promise((resolve, reject) => {
    let typed = '';
    const done = (err?: Error) => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off('data', onData);
      process.stderr.write('\n');
      if (err) reject(err);
      else resolve(typed);
    };
    const onData = (chunk: Buffer) => {
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return done();
        if (ch === '\u0003') return done(new Error('cancelled'));
        if (ch === '\u0004') return typed === '' ? done(new Error('cancelled')) : done();
        if (ch === '\u007f' || ch === '\b') typed = [...typed].slice(0, -1).join('');
        else if (ch >= ' ') typed += ch;
        if (Buffer.byteLength(typed) > MAX_PASSWORD_BYTES) return done(new Error(`a password may have at most ${MAX_PASSWORD_BYTES} bytes`));
      }
    };
    stdin.setRawMode(true);
    stdin.resume();
    stdin.on('data', onData);
  });
}

/**
 * A password that passes passwordProblem(): from stdin, or asked twice on a terminal.
 * Without either there is no way to ask: a usage error says which flag to give.
 */
export async function newPassword(fromStdin: boolean, what: string): Promise<string> {
  let password: string;
  if (fromStdin) {
    password = await passwordFromStdin();
  } else if (process.stdin.isTTY && process.stderr.isTTY) {
    password = await readHidden(`${what}: `);
    const problem = passwordProblem(password);
    if (problem) throw new Error(problem);
    if ((await readHidden(`${what} again: `)) !== password) throw new Error('the two passwords differ');
  } else {
    throw new UsageError('no terminal to ask for the password on: give --password-stdin and pipe it in');
  }
  const problem = passwordProblem(password);
  if (problem) throw new Error(problem);
  return password;
}

/** 18 random bytes, 24 characters: far past guessing, short enough to read out. */
export function randomPassword(): string {
  return process.getBuiltinModule('node:crypto').randomBytes(18).toString('base64url');
}
