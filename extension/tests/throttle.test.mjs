import assert from 'node:assert/strict';
import { test } from 'node:test';

import { throttle } from '../src/lib/throttle.js';

test('runs at once, then at most once per interval, merging the calls in between', () => {
  let clock = 0;
  const timers = [];
  const runs = [];
  const trigger = throttle(() => runs.push(clock), 10_000, {
    now: () => clock,
    setTimer: (fn, wait) => timers.push({ fn, at: clock + wait }),
  });
  trigger();
  assert.deepEqual(runs, [0]);
  clock = 2_000;
  trigger();
  trigger();
  trigger();
  assert.deepEqual(runs, [0], 'a burst waits');
  assert.equal(timers.length, 1, 'one timer for the whole burst');
  assert.equal(timers[0].at, 10_000);
  clock = 10_000;
  timers.shift().fn();
  assert.deepEqual(runs, [0, 10_000]);
  clock = 25_000;
  trigger();
  assert.deepEqual(runs, [0, 10_000, 25_000], 'quiet for longer than the interval: at once again');
});
