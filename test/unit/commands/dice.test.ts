import { strict as assert } from 'node:assert';
import { cryptoDie, DICE_LIMITS, diceSpec, parseDiceArgs, parseRollSpec, rollSpec, throwDice } from '../../../src/commands/dice.js';
import { ProtocolError } from '../../../src/shared/protocol.js';

/** A die that shows the given faces in turn, then 1 forever. */
function loaded(...faces: number[]): (sides: number) => number {
  return () => faces.shift() ?? 1;
}

function badRequest(f: () => unknown, mentions: RegExp): void {
  assert.throws(f, (e: unknown) => e instanceof ProtocolError && e.code === 'bad_request' && mentions.test(e.message) && /Usage: \//.test(e.message));
}

describe('/dice arguments', () => {
  it('reads COUNT SIDES and an optional AGAIN', () => {
    assert.deepEqual(parseDiceArgs('3 6'), { count: 3, sides: 6, again: undefined });
    assert.deepEqual(parseDiceArgs(' 3  6   6 '), { count: 3, sides: 6, again: 6 });
    assert.deepEqual(parseDiceArgs('100 1000 2'), { count: 100, sides: 1000, again: 2 });
  });
  const bad: [string, RegExp][] = [
    ['', /two or three numbers/],
    ['3', /two or three numbers/],
    ['3 6 6 6', /two or three numbers/],
    ['three 6', /whole numbers/],
    ['3 6.5', /whole numbers/],
    ['-3 6', /whole numbers/],
    ['3 6 x', /whole numbers/],
    ['0 6', /COUNT is 1 to 100/],
    ['101 6', /COUNT is 1 to 100/],
    ['99999999999 6', /whole numbers/],
    ['3 1', /SIDES is 2 to 1000/],
    ['3 1001', /SIDES is 2 to 1000/],
    ['3 6 1', /AGAIN is 2 to SIDES/],
    ['3 6 0', /AGAIN is 2 to SIDES/],
    ['3 6 7', /AGAIN is 2 to SIDES/],
  ];
  for (const [args, why] of bad) {
    it(`refuses "/dice ${args}" with a usage message`, () => badRequest(() => parseDiceArgs(args), why));
  }
});

describe('throwing dice', () => {
  it('throws a die again while it shows AGAIN or more, and counts every throw', () => {
    const t = throwDice(3, 6, 5, loaded(2, 6, 5, 3, 4));
    assert.deepEqual(t.rolls, [2, 6, 5, 3, 4]);
    assert.equal(t.total, 20);
    assert.equal(t.capped, false);
  });
  it('never throws again without AGAIN', () => {
    assert.deepEqual(throwDice(2, 6, undefined, loaded(6, 6, 6)).rolls, [6, 6]);
  });
  it('stops re-throwing at the cap, however the dice fall', () => {
    const t = throwDice(DICE_LIMITS.maxCount, 6, 2, () => 6);
    assert.equal(t.rolls.length, DICE_LIMITS.maxCount + DICE_LIMITS.maxRethrows);
    assert.equal(t.capped, true);
    assert.match(diceSpec({ count: 100, sides: 6, again: 2 }, t.capped), /re-throws stopped at 100/);
  });
  it('names the roll the way people say it', () => {
    assert.equal(diceSpec({ count: 3, sides: 6 }), '3d6');
    assert.equal(diceSpec({ count: 3, sides: 6, again: 6 }), '3d6, again on 6+');
  });

  it('gives every face of a d6 about equally often (CSPRNG)', () => {
    const n = 60000;
    const counts = new Array<number>(7).fill(0);
    for (let i = 0; i < n; i++) {
      const face = cryptoDie(6);
      counts[face] = (counts[face] ?? 0) + 1;
    }
    assert.equal(counts[0], 0, 'never a 0');
    // Chi-square with 5 degrees of freedom: above 25 happens by chance once in 10 000 runs.
    const e = n / 6;
    const chi2 = counts.slice(1).reduce((s, c) => s + (c - e) ** 2 / e, 0);
    assert.ok(chi2 < 25, `chi-square ${chi2.toFixed(1)} for ${counts.slice(1).join(' ')}`);
  });
  it('stays within 1..SIDES for the largest dice', () => {
    const t = throwDice(100, 1000, undefined);
    assert.equal(t.rolls.length, 100);
    assert.ok(t.rolls.every((r) => Number.isInteger(r) && r >= 1 && r <= 1000));
    assert.ok(new Set(t.rolls).size > 50, 'not stuck on a few values');
  });
  it('averages 4.2 a die for a d6 thrown again on 6 (3.5 / (5/6))', () => {
    let sum = 0;
    let dice = 0;
    for (let i = 0; i < 2000; i++) {
      sum += throwDice(50, 6, 6).total;
      dice += 50;
    }
    const mean = sum / dice;
    assert.ok(Math.abs(mean - 4.2) < 0.1, `mean ${mean}`);
  });
});

describe('/roll notation', () => {
  it('reads NdS with an optional modifier', () => {
    assert.deepEqual(parseRollSpec('2d6+3'), { count: 2, sides: 6, modifier: 3 });
    assert.deepEqual(parseRollSpec('d20'), { count: 1, sides: 20, modifier: 0 });
    assert.deepEqual(parseRollSpec('4D10 - 2'), { count: 4, sides: 10, modifier: -2 });
    assert.equal(rollSpec(parseRollSpec('4d10-2')), '4d10-2');
    assert.equal(rollSpec(parseRollSpec('d20+0')), '1d20');
  });
  const bad: [string, RegExp][] = [
    ['', /NdS/],
    ['2d', /NdS/],
    ['2x6', /NdS/],
    ['2d6+', /NdS/],
    ['2d6*2', /NdS/],
    ['0d6', /N is 1 to 100/],
    ['101d6', /N is 1 to 100/],
    ['2d1', /S is 2 to 1000/],
    ['2d1001', /S is 2 to 1000/],
    ['2d6+1001', /M is at most 1000/],
  ];
  for (const [args, why] of bad) {
    it(`refuses "/roll ${args}" with a usage message`, () => badRequest(() => parseRollSpec(args), why));
  }
});
