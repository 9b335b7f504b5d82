// User setup: name and colour, kept in sessions/<id>; the next WebSocket that brings the
// cookie joins with them. A name can be registered here (names/<name> holds its
// password's hash): then only a session that signed in to it may use it, and the session
// file records the proof (void once the password changes or the registration goes).
// Behind the SSO proxy the header's name is proved already: no password forms.
// The cookie, the CSRF token and the guessing limit are src/pages/forms.ts.

import { mayUseName, provedName } from '../access.js';
import { type Identity, identify } from '../identity.js';
import { normalizeColor } from '../shared/colornames.js';
import { NameError, validateUserName } from '../store/names.js';
import { hashPassword, passwordProblem, sealOf } from '../store/passwords.js';
import { readRegistration, register, registeredAs, setPassword } from '../store/registry.js';
import { checkForm, checkPassword, clientAddr, formSession, nameCounters, saveSession, sessionCookie } from './forms.js';
import { type PageContext, type PageHandler, type PageRequest, type PageResponse, HttpError, allowMethods, param, redirect } from './http.js';
import { page } from './layout.js';

type FormName = 'save' | 'register' | 'signin' | 'password';

interface FormState {
  name: string;
  color: string;
  errors?: { name?: string; color?: string };
  /** The one password form that failed, and why. */
  failed?: { form: FormName; message: string; name?: string };
}

const DONE: Record<string, (name: string) => string> = {
  registered: (n) => `Registered: ${n} is yours now. Only a browser signed in with its password can use it.`,
  signedin: (n) => `Signed in as ${n}. The next room you enter greets you by this name.`,
  password: (n) => `Password changed. Every other browser signed in to ${n} is signed out.`,
  signedout: () => 'Signed out. A registered name now needs its password again.',
};

function nameOf(raw: string): { name?: string; error?: string } {
  try {
    return { name: validateUserName(raw.trim()) };
  } catch (e) {
    if (!(e instanceof NameError)) throw e;
    return { error: raw.trim() === '' ? 'Choose a name.' : `That name cannot be used: ${e.message}.` };
  }
}

export const settingsPage: PageHandler = async (req, ctx) => {
  allowMethods(req, 'GET', 'POST');
  const { cfg, d, now } = ctx;
  const me = identify(cfg, d, req, now.getTime());
  const proved = provedName(d, me);

  if (req.method !== 'POST') {
    const { token, headers } = formSession(cfg, d, req, me);
    const done = param(req.query, 'done');
    const message = param(req.query, 'saved') === '1' ? 'Saved. The next room you enter greets you by this name.' : done && DONE[done]?.(proved ?? me.name);
    return form(ctx, me, proved, token, { name: me.source === 'default' ? '' : me.name, color: me.color }, message, headers);
  }

  const id = checkForm(cfg, d, req, me, 'settings page');
  const token = req.form.get('csrf') ?? '';
  const state: FormState = { name: me.source === 'default' ? '' : me.name, color: me.color };
  const again = (failed: FormState['failed'], status: number, headers: Record<string, string> = {}) =>
    form(ctx, me, proved, token, { ...state, failed }, undefined, headers, status);
  const done = (what: string) => redirect(`settings?${what}`, { 'Set-Cookie': sessionCookie(cfg, id, req.https) });
  const action = req.form.get('action') ?? 'save';
  const trusted = me.source === 'trusted';
  if (trusted && action !== 'save') return again({ form: 'save', message: 'Your sign-in already proves your name: it needs no password here.' }, 400);

  switch (action) {
    case 'save':
      return saveNameAndColour(req, ctx, me, id, token, proved) ?? done('saved=1');

    case 'register': {
      const asked = nameOf(req.form.get('name') ?? '');
      const password = req.form.get('password') ?? '';
      const fail = (message: string) => again({ form: 'register', message, name: req.form.get('name') ?? '' }, 400);
      if (!asked.name) return fail(asked.error ?? 'Choose a name.');
      const owner = registeredAs(d, asked.name);
      if (owner === asked.name) return fail(`${owner} is registered already. If it is yours, sign in below.`);
      if (owner !== undefined) return fail(`That name looks too much like the registered name ${owner}: choose another.`);
      const problem = passwordProblem(password);
      if (problem) return fail(`That password cannot be used: ${problem}.`);
      if (password !== (req.form.get('confirm') ?? '')) return fail('The two passwords differ.');
      const hash = await hashPassword(password);
      // The exclusive create decides between two browsers registering the name at once.
      if (!register(d, asked.name, hash, now)) return fail(`${asked.name} was registered by someone else a moment ago.`);
      const name = asked.name;
      saveSession(d, id, me, (s) => ({ ...s, name, proved: { name, seal: sealOf(hash) } }), now);
      return done('done=registered');
    }

    case 'signin': {
      const asked = nameOf(req.form.get('name') ?? '');
      const fail = (message: string, status = 400, headers: Record<string, string> = {}) =>
        again({ form: 'signin', message, name: req.form.get('name') ?? '' }, status, headers);
      if (!asked.name) return fail(asked.error ?? 'Which name?');
      const name = asked.name;
      const guess = await checkPassword(ctx, nameCounters(cfg, name, clientAddr(cfg, req)), req.form.get('password') ?? '', () => {
        return readRegistration(d, name)?.hash;
      });
      if (guess.blocked) return fail(guess.blocked.message, 429, guess.blocked.headers);
      if (guess.hash === undefined) return fail(`${name} is not registered: register it below, or just save it as your name above.`);
      if (!guess.ok) return fail(`Wrong password for ${name}.`, 403);
      const seal = sealOf(guess.hash);
      saveSession(d, id, me, (s) => ({ ...s, name, proved: { name, seal } }), now);
      return done('done=signedin');
    }

    case 'password': {
      const fail = (message: string, status = 400, headers: Record<string, string> = {}) => again({ form: 'password', message }, status, headers);
      if (!proved) return fail('Sign in to a registered name first.', 403);
      const guess = await checkPassword(ctx, nameCounters(cfg, proved, clientAddr(cfg, req)), req.form.get('current') ?? '', () => {
        return readRegistration(d, proved)?.hash;
      });
      if (guess.blocked) return fail(guess.blocked.message, 429, guess.blocked.headers);
      if (!guess.ok) return fail('That is not the current password.', 403);
      const password = req.form.get('password') ?? '';
      const problem = passwordProblem(password);
      if (problem) return fail(`That password cannot be used: ${problem}.`);
      if (password !== (req.form.get('confirm') ?? '')) return fail('The two new passwords differ.');
      const hash = await hashPassword(password);
      // A new hash voids every proof sealed with the old one: other browsers are signed out.
      if (!setPassword(d, proved, hash, now)) return fail(`${proved} is not registered any more.`);
      saveSession(d, id, me, (s) => ({ ...s, proved: { name: proved, seal: sealOf(hash) } }), now);
      return done('done=password');
    }

    case 'signout':
      saveSession(d, id, me, ({ proved: _gone, ...s }) => s, now);
      return done('done=signedout');

    default:
      throw new HttpError(400, 'This form asks for something the settings page does not do.');
  }
};

/** null when the name and colour were saved; else the form again with its errors. */
function saveNameAndColour(req: PageRequest, ctx: PageContext, me: Identity, id: string, token: string, proved: string | undefined): PageResponse | null {
  const { d, now } = ctx;
  const trusted = me.source === 'trusted';
  const rawName = (req.form.get('name') ?? '').trim();
  const errors: FormState['errors'] = {};
  let name = me.name;
  if (!trusted) {
    const asked = nameOf(rawName);
    if (asked.name === undefined) errors.name = asked.error;
    else if (!mayUseName(d, me, proved)(asked.name)) {
      const owner = registeredAs(d, asked.name);
      errors.name =
        owner === asked.name
          ? 'That name is registered: enter its password to use it (Sign in, below).'
          : `That name looks too much like the registered name ${owner}: choose another.`;
    } else name = asked.name;
  }
  const color = normalizeColor(req.form.get('color') ?? '');
  if (!color) errors.color = 'That is not a colour: use #rrggbb or a CSS colour name.';
  if (errors.name || errors.color || !color) {
    return form(ctx, me, proved, token, { name: trusted ? me.name : rawName, color: color ?? me.color, errors }, undefined, {}, 400);
  }
  saveSession(d, id, me, (s) => ({ ...s, name, color }), now);
  return null;
}

function form(
  { cfg, d }: PageContext,
  me: Identity,
  proved: string | undefined,
  csrf: string,
  state: FormState,
  message: string | undefined,
  headers: Record<string, string>,
  status = 200,
): PageResponse {
  const trusted = me.source === 'trusted';
  const failed = state.failed;
  const errorOf = (f: FormName) => (failed?.form === f ? failed.message : undefined);
  // A session still called by a registered name it has not proved joins under a number.
  const owner = !trusted && me.source === 'session' && proved !== me.name ? registeredAs(d, me.name) : undefined;
  const view = {
    ...state,
    csrf,
    message,
    trusted,
    proved,
    placeholder: cfg.chat.default_name,
    hasErrors: Boolean(state.errors?.name || state.errors?.color || failed?.form === 'save'),
    saveError: errorOf('save'),
    nameTaken: owner !== undefined,
    register: { error: errorOf('register'), name: failed?.form === 'register' ? failed.name : state.name },
    signin: { error: errorOf('signin'), name: failed?.form === 'signin' ? failed.name : (owner ?? state.name) },
    password: { error: errorOf('password') },
  };
  return page('settings', view, { title: 'Settings', page: 'settings', current: 'settings', user: me }, { status, headers, cache: 'no-store' });
}
