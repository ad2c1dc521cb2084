import { createHash } from 'node:crypto';
import type { Metadata, Sharp, SharpOptions } from 'sharp';
import { DomainError, TooLargeError } from '@mft/core';
import type { BrandImages } from './branding.repository.js';

/**
 * sharp (libvips) is loaded with the first logo, not at start: it is needed only when an admin
 * uploads one, and loading it costs every process about 27 MiB of memory and 0.1 s.
 */
let loadedSharp: Promise<(input: Buffer, options: SharpOptions) => Sharp> | null = null;
const sharp = async (input: Buffer, options: SharpOptions): Promise<Sharp> => {
  loadedSharp ??= import('sharp').then((m) => m.default);
  return (await loadedSharp)(input, options);
};

/** The image types a logo may be uploaded as. */
export const LOGO_TYPES = ['image/png', 'image/jpeg', 'image/svg+xml'] as const;
export type LogoType = (typeof LOGO_TYPES)[number];

/** Raster logos are scaled down into this box (never up). */
const LOGO_BOX = 512;
const FAVICON_SIZE = 64;
/** Decoded pixels a logo may have: a small file that decodes into gigabytes (a decompression bomb) is refused. */
const MAX_INPUT_PIXELS = 4096 * 4096;

/** The upload is not an image of the type it claims to be (or no image at all): 422. */
export class LogoUnreadableError extends DomainError {
  constructor(message: string) {
    super('policy', 'branding_logo_unreadable', message);
  }
}

/** The type of an upload's Content-Type, or null when it is none of the logo types. */
export function logoTypeOf(contentType: string | undefined): LogoType | null {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  return (LOGO_TYPES as readonly string[]).includes(type) ? (type as LogoType) : null;
}

const SVG_NS = 'http://www.w3.org/2000/svg';
/** Elements that could run code, load something or embed another document: never kept. */
const FORBIDDEN_ELEMENTS = ['script', 'style', 'foreignObject', 'image', 'feImage', 'iframe', 'embed', 'object', 'audio', 'video', 'animate', 'animateMotion', 'animateTransform', 'animateColor', 'set', 'discard', 'handler', 'listener'];

/** The little of DOMPurify and jsdom used here. Loaded by name: jsdom's types would bring the DOM's into every file. */
interface HookData {
  attrName: string;
  attrValue: string;
  keepAttr: boolean;
}
interface SvgNode {
  nodeType: number;
  localName?: string;
  namespaceURI?: string | null;
}
interface Purifier {
  addHook(hook: 'uponSanitizeAttribute', fn: (node: unknown, data: HookData) => void): void;
  sanitize(source: string, config: Record<string, unknown>): { childNodes: ArrayLike<SvgNode> };
}
interface Sanitizer {
  purify: Purifier;
  serialize(node: SvgNode): string;
}

let sanitizer: Promise<Sanitizer> | null = null;

function svgSanitizer(): Promise<Sanitizer> {
  sanitizer ??= (async () => {
    const [jsdomName, purifyName] = ['jsdom', 'dompurify'];
    const { JSDOM } = (await import(jsdomName)) as { JSDOM: new (html: string) => { window: { XMLSerializer: new () => { serializeToString(n: SvgNode): string } } } };
    const createDOMPurify = ((await import(purifyName)) as { default: (w: unknown) => Purifier }).default;
    const { window } = new JSDOM('');
    const purify = createDOMPurify(window);
    purify.addHook('uponSanitizeAttribute', (_node, data) => {
      const name = data.attrName.toLowerCase();
      const value = data.attrValue.trim();
      // A reference may only point inside the document (#id): no URL, no javascript:, no data:.
      if ((name === 'href' || name.endsWith(':href')) && !value.startsWith('#')) {
        data.keepAttr = false;
      }
      // url(...) in a style or presentation attribute (fill, filter, mask, ...) only to #id.
      const urls = [...value.matchAll(/url\s*\(\s*(['"]?)(.*?)\1\s*\)/gi)];
      if (urls.some((m) => !m[2]!.trim().startsWith('#')) || (/url\s*\(/i.test(value) && urls.length === 0) || /@import|expression\s*\(|javascript:/i.test(value)) {
        data.keepAttr = false;
      }
    });
    const serializer = new window.XMLSerializer();
    return { purify, serialize: (n) => serializer.serializeToString(n) };
  })();
  return sanitizer;
}

/**
 * An SVG with nothing active or external left: no script, no event handler, no `<foreignObject>`,
 * no `<style>` element, no `<image>`, no animation (which could rewrite a link), and every
 * reference (`href`, `xlink:href`, `url(...)`) pointing inside the document (`#id`) or dropped.
 * DOMPurify (on jsdom) does the sanitising with its SVG profile; the result is serialised as XML.
 */
export async function sanitizeSvg(source: string): Promise<string> {
  const { purify, serialize } = await svgSanitizer();
  const fragment = purify.sanitize(source, {
    USE_PROFILES: { svg: true, svgFilters: true },
    FORBID_TAGS: FORBIDDEN_ELEMENTS,
    ALLOW_DATA_ATTR: false,
    RETURN_DOM_FRAGMENT: true,
  });
  const svg = Array.from(fragment.childNodes).find((n) => n.nodeType === 1 && n.localName === 'svg' && n.namespaceURI === SVG_NS);
  if (!svg) {
    throw new LogoUnreadableError('The logo is not an SVG image: its content has no <svg> element. Upload a PNG, JPEG or SVG file.');
  }
  return `<?xml version="1.0" encoding="UTF-8"?>\n${serialize(svg)}`;
}

const hashOf = (b: Buffer): string => createHash('sha256').update(b).digest('hex').slice(0, 16);

async function favicon(input: Buffer): Promise<Buffer> {
  return (await sharp(input, { limitInputPixels: MAX_INPUT_PIXELS }))
    .resize(FAVICON_SIZE, FAVICON_SIZE, { fit: 'contain', background: { r: 0, g: 0, b: 0, alpha: 0 } })
    .png()
    .toBuffer();
}

/**
 * Makes a stored logo from an upload: a PNG or JPEG is decoded and re-encoded as a PNG (metadata
 * stripped, scaled into a 512×512 box); an SVG is sanitised. The favicon is a 64×64 PNG of the
 * result (an SVG is rasterised after sanitising). Refusals: 413 over `maxBytes`, 422 for anything
 * that does not decode as the type it claims.
 */
export async function prepareLogo(body: Buffer, type: LogoType, maxBytes: number): Promise<BrandImages> {
  if (body.length > maxBytes) {
    throw new TooLargeError('branding_logo_too_large', `The logo may be at most ${Math.floor(maxBytes / 1024)} KiB; this one is ${Math.ceil(body.length / 1024)} KiB.`, { maxBytes });
  }
  if (body.length === 0) {
    throw new LogoUnreadableError('The logo is empty. Upload a PNG, JPEG or SVG file.');
  }
  if (type === 'image/svg+xml') {
    const source = new TextDecoder('utf-8', { fatal: false }).decode(body);
    if (!/<svg[\s>]/i.test(source)) {
      throw new LogoUnreadableError('The logo is not an SVG image (no <svg> element in it), though it was sent as image/svg+xml.');
    }
    const clean = Buffer.from(await sanitizeSvg(source), 'utf8');
    let icon: Buffer;
    try {
      const meta = await (await sharp(clean, { limitInputPixels: MAX_INPUT_PIXELS })).metadata();
      if (meta.format !== 'svg') {
        throw new Error(meta.format);
      }
      icon = await favicon(clean);
    } catch {
      throw new LogoUnreadableError('The SVG logo cannot be drawn: check that it opens in a browser, and that its width and height are at most 4096 pixels.');
    }
    return { logo: clean, logoType: 'image/svg+xml', logoHash: hashOf(clean), favicon: icon };
  }
  const expected = type === 'image/png' ? 'png' : 'jpeg';
  let meta: Metadata;
  try {
    meta = await (await sharp(body, { limitInputPixels: MAX_INPUT_PIXELS })).metadata();
  } catch (err) {
    const tooMany = err instanceof Error && /pixel limit/i.test(err.message);
    throw new LogoUnreadableError(tooMany ? 'The logo has too many pixels (at most 4096 × 4096).' : `The logo cannot be read as ${type}: the file is damaged or not an image.`);
  }
  if (meta.format !== expected) {
    throw new LogoUnreadableError(`The logo was sent as ${type} but is ${meta.format ? `a ${meta.format.toUpperCase()} image` : 'something else'}. Send it with its real type, as PNG, JPEG or SVG.`);
  }
  let png: Buffer;
  try {
    // failOn 'error': a truncated or corrupt file is refused rather than drawn half-grey; no
    // metadata is kept (sharp drops EXIF, XMP, comments and ICC text unless asked to keep them).
    png = await (await sharp(body, { limitInputPixels: MAX_INPUT_PIXELS, failOn: 'error' }))
      .rotate()
      .resize(LOGO_BOX, LOGO_BOX, { fit: 'inside', withoutEnlargement: true })
      .png()
      .toBuffer();
  } catch (err) {
    const tooMany = err instanceof Error && /pixel limit/i.test(err.message);
    throw new LogoUnreadableError(tooMany ? 'The logo has too many pixels (at most 4096 × 4096).' : `The logo cannot be read as ${type}: the file is damaged or not an image.`);
  }
  return { logo: png, logoType: 'image/png', logoHash: hashOf(png), favicon: await favicon(png) };
}
