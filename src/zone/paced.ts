/**
 * Long work on a big zone, run in slices so the event loop keeps answering queries meanwhile
 * (a reload of a million-record file, reload.ts).
 */

/**
 * Run `steps` to its end and return what it returns, handing the event loop back each time a
 * slice has run for `sliceMs`. `setImmediate`, not a resolved promise: a promise resumes in
 * the same turn of the loop, before any socket is read.
 */
export async function runPaced<R>(steps: Generator<void, R>, sliceMs = 10): Promise<R> {
  let sliceEnd = performance.now() + sliceMs;
  for (let n = 1; ; n++) {
    const step = steps.next();
    if (step.done) return step.value;
    // The clock is read every 64 steps: a step costs microseconds, the clock not much less.
    if ((n & 63) !== 0 || performance.now() < sliceEnd) continue;
    await nextTurn();
    sliceEnd = performance.now() + sliceMs;
  }
}

/**
 * The next turn of the event loop: `setImmediate`, not a resolved promise, which resumes in the
 * same turn, before any socket is read.
 */
export function nextTurn(): Promise<void> {
  return new Promise<void>((resolve) => setImmediate(resolve));
}
