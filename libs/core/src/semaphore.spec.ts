import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Semaphore } from './semaphore.js';

describe(Semaphore.name, () => {
  it('never runs more tasks at once than its limit, and runs them all', async () => {
    const sut = new Semaphore(2);
    let active = 0;
    let peak = 0;
    const done: number[] = [];
    await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        sut.run(async () => {
          active++;
          peak = Math.max(peak, active);
          await new Promise((r) => setTimeout(r, 2));
          active--;
          done.push(i);
        }),
      ),
    );
    assert.equal(peak, 2);
    assert.equal(done.length, 10);
  });

  it('frees the slot of a task that throws', async () => {
    const sut = new Semaphore(1);
    await assert.rejects(sut.run(() => Promise.reject(new Error('boom'))));
    assert.equal(await sut.run(() => Promise.resolve('next')), 'next');
  });
});
