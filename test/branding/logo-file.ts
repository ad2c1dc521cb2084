import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';

/** Writes a 240×80 PNG logo (white, with `svgShapes` drawn on it) into a new temporary folder; its path. */
export async function writeLogoPng(prefix: string, name: string, svgShapes: string): Promise<string> {
  const file = join(mkdtempSync(join(tmpdir(), prefix)), name);
  writeFileSync(
    file,
    await sharp({ create: { width: 240, height: 80, channels: 4, background: { r: 255, g: 255, b: 255, alpha: 1 } } })
      .composite([{ input: Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="240" height="80">${svgShapes}</svg>`) }])
      .png()
      .toBuffer(),
  );
  return file;
}
