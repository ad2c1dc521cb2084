import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseRange } from './byte-range.js';

describe(parseRange.name, () => {
  it('answers the whole file when there is no Range header', () => {
    assert.deepEqual(parseRange(undefined, 100), { kind: 'full' });
  });
  it('reads an explicit range', () => {
    assert.deepEqual(parseRange('bytes=10-19', 100), { kind: 'partial', start: 10, end: 19 });
  });
  it('reads an open-ended range to the end of the file', () => {
    assert.deepEqual(parseRange('bytes=90-', 100), { kind: 'partial', start: 90, end: 99 });
  });
  it('reads a suffix range', () => {
    assert.deepEqual(parseRange('bytes=-10', 100), { kind: 'partial', start: 90, end: 99 });
    assert.deepEqual(parseRange('bytes=-1000', 100), { kind: 'partial', start: 0, end: 99 });
  });
  it('clamps an end past the file to its last byte', () => {
    assert.deepEqual(parseRange('bytes=0-1000', 100), { kind: 'partial', start: 0, end: 99 });
  });
  it('refuses a start at or past the end (416)', () => {
    assert.deepEqual(parseRange('bytes=100-', 100), { kind: 'unsatisfiable' });
    assert.deepEqual(parseRange('bytes=20-10', 100), { kind: 'unsatisfiable' });
    assert.deepEqual(parseRange('bytes=-0', 100), { kind: 'unsatisfiable' });
  });
  it('ignores multiple ranges and other units (the whole file is allowed by RFC 9110)', () => {
    assert.deepEqual(parseRange('bytes=0-1,5-6', 100), { kind: 'full' });
    assert.deepEqual(parseRange('items=0-1', 100), { kind: 'full' });
    assert.deepEqual(parseRange('bytes=abc', 100), { kind: 'full' });
  });
});
