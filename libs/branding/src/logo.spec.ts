import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { prepareLogo } from './logo.js';

// A 1×1 red PNG.
const PNG_1x1 = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==', 'base64');

describe('logo preparation (sharp, loaded with the first logo)', () => {
  it('loads the native image library and re-encodes a PNG, with a 64×64 favicon', async () => {
    const images = await prepareLogo(PNG_1x1, 'image/png', 512 * 1024);
    assert.equal(images.logoType, 'image/png');
    assert.deepEqual([...images.logo.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'a PNG');
    // The IHDR chunk holds the width and height at bytes 16..24.
    assert.deepEqual([images.favicon.readUInt32BE(16), images.favicon.readUInt32BE(20)], [64, 64]);
  });

  it('refuses a file that is not the PNG it claims to be, in words', async () => {
    await assert.rejects(prepareLogo(Buffer.from('GIF89a not really'), 'image/png', 512 * 1024), /cannot be read as image\/png/);
  });
});
