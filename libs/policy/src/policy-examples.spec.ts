import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { projectRoot } from '@mft/config';
import { effectivePolicy } from './effective-policy.js';
import { parsePolicyYaml } from './policy-file.js';

const dir = join(projectRoot(), 'config', 'policy-examples');

describe('the example policies in config/policy-examples', () => {
  const files = readdirSync(dir).filter((f) => f.endsWith('.yaml'));

  it('exist for the regimes the admin guide describes', () => {
    assert.deepEqual(files.sort(), ['finance.yaml', 'healthcare.yaml', 'legal.yaml']);
  });

  for (const file of files) {
    it(`${file} is a valid policy whose group overrides are stricter than the organisation`, () => {
      const doc = parsePolicyYaml(readFileSync(join(dir, file), 'utf8'), file);
      const [group] = Object.keys(doc.groups);
      assert.ok(group, 'each example shows a group override');
      const effective = effectivePolicy(doc, [group]);
      assert.deepEqual(effective.appliedGroups, [group]);
      assert.ok(effective.expiry.maxDays <= doc.expiry.maxDays);
    });
  }

  it('no policy.yaml ships in config/ (it would make the policy file authoritative everywhere)', () => {
    assert.ok(!readdirSync(join(projectRoot(), 'config')).includes('policy.yaml'));
  });
});
