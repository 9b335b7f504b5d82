// /dice COUNT SIDES [AGAIN] (the original's exploding dice) and /roll NdS±M.
// The server throws the dice with a CSPRNG and logs a `roll` event: a client can only
// ask for a roll, never report one.

import { ProtocolError } from '../shared/protocol.js';
import type { Command } from './types.js';

/** Bounds that keep one command finite, cheap and one short log line. */
export const DICE_LIMITS = {
  maxCount: 100,
  minSides: 2,
  maxSides: 1000,
  /** Extra throws granted by exploding dice, over the whole command. */
  maxRethrows: 100,
  maxModifier: 1000,
} as const;

/** A uniform integer in [1, sides]. */
export type DieThrower = (sides: number) => number;

// node:crypto is loaded on the first throw, not when every handler starts.
export const cryptoDie: DieThrower = (sides) => process.getBuiltinModule('node:crypto').randomInt(1, sides + 1);

export interface Throw {
  /** Every throw, re-throws included, in the order they happened. */
  rolls: number[];
  total: number;
  /** True when exploding stopped at maxRethrows rather than by chance. */
  capped: boolean;
}

/**
 * `count` dice with `sides` sides; each die showing `again` or more is thrown again and
 * the new throw counts too (and may explode in turn). No `again`: nothing explodes.
 */
export function throwDice(count: number, sides: number, again: number | undefined, die: DieThrower = cryptoDie): Throw {
  const rolls: number[] = [];
  let rethrows = 0;
  let capped = false;
  for (let i = 0; i < count; i++) {
    let face = die(sides);
    rolls.push(face);
    while (again !== undefined && face >= again) {
      if (rethrows >= DICE_LIMITS.maxRethrows) {
        capped = true;
        break;
      }
      rethrows++;
      face = die(sides);
      rolls.push(face);
    }
  }
  return { rolls, total: rolls.reduce((a, b) => a + b, 0), capped };
}

function usage(cmd: Command, why: string): ProtocolError {
  return new ProtocolError('bad_request', `${why}. Usage: ${cmd.usage}`);
}

function wholeNumber(s: string): number | undefined {
  return /^\d{1,7}$/.test(s) ? Number(s) : undefined;
}

export interface DiceRequest {
  count: number;
  sides: number;
  again?: number;
}

/** `3 6 6` → {count: 3, sides: 6, again: 6}; throws a usage error naming the broken bound. */
export function parseDiceArgs(args: string): DiceRequest {
  const words = args.split(/\s+/).filter(Boolean);
  if (words.length < 2 || words.length > 3) throw usage(dice, 'give two or three numbers');
  const [count, sides, again] = words.map(wholeNumber);
  if (count === undefined || sides === undefined || (words.length === 3 && again === undefined)) {
    throw usage(dice, 'COUNT, SIDES and AGAIN are whole numbers');
  }
  if (count < 1 || count > DICE_LIMITS.maxCount) throw usage(dice, `COUNT is 1 to ${DICE_LIMITS.maxCount}`);
  if (sides < DICE_LIMITS.minSides || sides > DICE_LIMITS.maxSides) {
    throw usage(dice, `SIDES is ${DICE_LIMITS.minSides} to ${DICE_LIMITS.maxSides}`);
  }
  // AGAIN = 1 would explode forever; above SIDES it could never happen.
  if (again !== undefined && (again < 2 || again > sides)) throw usage(dice, 'AGAIN is 2 to SIDES');
  return { count, sides, again };
}

export function diceSpec(r: DiceRequest, capped = false): string {
  const again = r.again === undefined ? '' : `, again on ${r.again}+`;
  return `${r.count}d${r.sides}${again}${capped ? ` (re-throws stopped at ${DICE_LIMITS.maxRethrows})` : ''}`;
}

export interface RollRequest {
  count: number;
  sides: number;
  modifier: number;
}

/** `2d6+3`, `d20`, `4d10 - 2` → the parts; throws a usage error. */
export function parseRollSpec(args: string): RollRequest {
  const m = /^(\d{0,7})d(\d{1,7})(?:([+-])(\d{1,7}))?$/i.exec(args.replace(/\s+/g, ''));
  if (!m) throw usage(roll, 'write the dice as NdS, optionally +M or -M (2d6+3)');
  const count = m[1] === '' ? 1 : Number(m[1]);
  const sides = Number(m[2]);
  const modifier = m[3] === undefined ? 0 : Number(m[4]) * (m[3] === '-' ? -1 : 1);
  if (count < 1 || count > DICE_LIMITS.maxCount) throw usage(roll, `N is 1 to ${DICE_LIMITS.maxCount}`);
  if (sides < DICE_LIMITS.minSides || sides > DICE_LIMITS.maxSides) {
    throw usage(roll, `S is ${DICE_LIMITS.minSides} to ${DICE_LIMITS.maxSides}`);
  }
  if (Math.abs(modifier) > DICE_LIMITS.maxModifier) throw usage(roll, `M is at most ${DICE_LIMITS.maxModifier}`);
  return { count, sides, modifier };
}

export function rollSpec(r: RollRequest): string {
  const mod = r.modifier === 0 ? '' : r.modifier > 0 ? `+${r.modifier}` : `${r.modifier}`;
  return `${r.count}d${r.sides}${mod}`;
}

export const dice: Command = {
  names: ['dice'],
  usage: '/dice COUNT SIDES [AGAIN]',
  summary: `throw COUNT dice with SIDES sides; a die showing AGAIN or more is thrown again (at most ${DICE_LIMITS.maxCount} dice)`,
  async run(ctx, args) {
    const r = parseDiceArgs(args);
    const t = throwDice(r.count, r.sides, r.again);
    await ctx.logEvent({ type: 'roll', from: ctx.me().name, spec: diceSpec(r, t.capped), rolls: t.rolls, total: t.total });
  },
};

export const roll: Command = {
  names: ['roll'],
  usage: '/roll NdS[+M]',
  summary: 'roll dice in the usual notation: /roll 2d6+3, /roll d20',
  async run(ctx, args) {
    const r = parseRollSpec(args);
    const t = throwDice(r.count, r.sides, undefined);
    await ctx.logEvent({ type: 'roll', from: ctx.me().name, spec: rollSpec(r), rolls: t.rolls, total: t.total + r.modifier });
  },
};
