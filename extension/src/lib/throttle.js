// "At most once every N ms": cookie changes come in bursts (a sign-in sets dozens).

/**
 * Calls `fn` at once if it has not run for `intervalMs`, else once at the end of the interval;
 * calls in between are merged into that one. The clock and timer are injectable for tests.
 */
export function throttle(fn, intervalMs, { now = Date.now, setTimer = setTimeout } = {}) {
  let last = -Infinity;
  let pending = false;
  const run = () => {
    pending = false;
    last = now();
    fn();
  };
  return () => {
    if (pending) return;
    const wait = last + intervalMs - now();
    if (wait <= 0) {
      run();
    } else {
      pending = true;
      setTimer(run, wait);
    }
  };
}
