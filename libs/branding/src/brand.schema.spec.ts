import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DomainError } from '@mft/core';
import { DEFAULT_BRAND, templateBrandOf } from './brand.js';
import { BrandContrastError, contrastRatio, parseBrand } from './brand.schema.js';

const refusal = (body: unknown): DomainError => {
  try {
    parseBrand(body);
  } catch (err) {
    assert.ok(err instanceof DomainError);
    return err;
  }
  assert.fail('accepted');
};

describe('parseBrand', () => {
  it('fills fields left out with the defaults, lower-cases colours and trims the public URL', () => {
    assert.deepEqual(parseBrand({}), DEFAULT_BRAND);
    assert.deepEqual(parseBrand({ name: ' Acme ', primaryColor: '#0B3D91', publicUrl: 'https://files.acme.example/', footer: '  ', supportEmail: null }), {
      ...DEFAULT_BRAND,
      name: 'Acme',
      primaryColor: '#0b3d91',
      publicUrl: 'https://files.acme.example',
    });
  });

  it('names the bad field', () => {
    assert.match(refusal({ primaryColor: 'blue' }).message, /primaryColor must be a colour written #rrggbb/);
    assert.match(refusal({ name: 'a\tb' }).message, /^The branding is not valid: name must not contain control characters/);
    assert.match(refusal({ publicUrl: 'https://u:p@x.example' }).message, /publicUrl must be an absolute/);
    assert.match(refusal({ supportEmail: 'nobody' }).message, /supportEmail must be an email address/);
    assert.match(refusal({ extra: 1 }).message, /unknown field/);
    assert.equal(refusal({ name: 'x\u0000' }).code, 'invalid_request');
  });

  it('refuses colours below WCAG AA with the pair and its ratio, floored (never rounded up to pass)', () => {
    const err = refusal({ primaryColor: '#ffff00' });
    assert.ok(err instanceof BrandContrastError);
    assert.equal(err.code, 'branding_contrast');
    assert.match(err.message, /^primaryColor #ffff00 with white text \(the page header\) has a contrast of 1\.07:1; at least 4\.5:1 is needed/);
    assert.equal(contrastRatio('#767676', '#ffffff'), 4.54);
    assert.equal(contrastRatio('#777777', '#ffffff'), 4.47);
    assert.equal(contrastRatio('#000000', '#ffffff'), 21);
    assert.doesNotThrow(() => parseBrand({ primaryColor: '#000000', accentColor: '#595959' }));
  });
});

describe('templateBrandOf', () => {
  it('makes a brand of a name queued before brands were objects, and keeps a queued object', () => {
    assert.deepEqual(templateBrandOf('Old name', 'https://gw.example'), { ...DEFAULT_BRAND, name: 'Old name', logoUrl: null, publicUrl: 'https://gw.example' });
    assert.deepEqual(templateBrandOf(undefined, 'https://gw.example'), { ...DEFAULT_BRAND, logoUrl: null, publicUrl: 'https://gw.example' });
    const queued = { name: 'Acme', primaryColor: '#0b3d91', accentColor: '#7a1f5c', supportEmail: 'h@a.example', footer: 'F', logoUrl: 'https://a.example/branding/logo?v=1', publicUrl: 'https://a.example' };
    assert.deepEqual(templateBrandOf(queued, 'https://gw.example'), queued);
    assert.equal(templateBrandOf({ ...queued, primaryColor: 'red;background:url(x)' }, 'https://gw.example').primaryColor, DEFAULT_BRAND.primaryColor, 'a colour goes into style attributes: only #rrggbb');
  });
});
