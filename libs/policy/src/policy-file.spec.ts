import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { loadPolicyFile, parsePolicyYaml, PolicyFileError } from './policy-file.js';
import { DEFAULT_POLICY } from './policy.schema.js';

const FILE = 'config/policy.yaml';

/** The error message of a file that is refused. */
function refusal(text: string): PolicyFileError {
  try {
    parsePolicyYaml(text, FILE);
  } catch (err) {
    assert.ok(err instanceof PolicyFileError, String(err));
    return err;
  }
  assert.fail('the file was accepted');
}

const lines = (...l: string[]): string => `${l.join('\n')}\n`;

describe(parsePolicyYaml.name, () => {
  it('reads the example of DESIGN.md', () => {
    const policy = parsePolicyYaml(
      lines(
        'password:          { mode: required, minLength: 12 }',
        'oneTime:           { mode: default }',
        'expiry:            { defaultDays: 7, maxDays: 30, allowNever: false }',
        'emailVerification: { mode: optional, requiredOutsideDomains: [corp.example] }',
        'groups:',
        '  finance:         { password: { mode: required, minLength: 16 }, expiry: { maxDays: 3 } }',
      ),
      FILE,
    );
    assert.equal(policy.password.mode, 'required');
    assert.deepEqual(policy.groups.finance, { password: { mode: 'required', minLength: 16 }, expiry: { maxDays: 3 } });
  });

  it('refuses a group named __proto__ with its line, rather than dropping its stricter rule', () => {
    const err = refusal(lines('expiry: { maxDays: 30 }', 'groups:', '  finance: { expiry: { maxDays: 7 } }', '  __proto__: { expiry: { maxDays: 1 } }'));
    assert.match(err.message, /^config\/policy\.yaml line \d+: groups: the group name "__proto__" is not allowed: /);
  });

  it('an empty file, or one with only comments, is the default policy', () => {
    assert.deepEqual(parsePolicyYaml('', FILE), DEFAULT_POLICY);
    assert.deepEqual(parsePolicyYaml('# nothing set yet\n', FILE), DEFAULT_POLICY);
  });

  it('a bad value names the file, the line and the key path', () => {
    const err = refusal(lines('# organisation policy', 'password:', '  mode: required', 'expiry:', '  defaultDays: 7', '  maxDays: 4000'));
    assert.equal(err.message, 'config/policy.yaml line 6: expiry.maxDays: must be a whole number of days from 1 to 3650');
    assert.deepEqual(err.problems, [{ line: 6, path: 'expiry.maxDays', message: 'must be a whole number of days from 1 to 3650' }]);
  });

  it('finds the line inside flow mappings and lists', () => {
    const err = refusal(lines('expiry: { maxDays: 30 }', 'recipients:', '  allowedDomains:', '    - example.com', '    - not a domain', 'oneTime: { mode: always }'));
    assert.deepEqual(
      err.problems.map((p) => [p.line, p.path]),
      [
        [5, 'recipients.allowedDomains.1'],
        [6, 'oneTime.mode'],
      ],
    );
  });

  it('an unknown key names the key and its own line', () => {
    const err = refusal(lines('password:', '  mode: required', '  minLenght: 16'));
    assert.equal(err.message, 'config/policy.yaml line 3: password.minLenght: is not a known setting (expected one of: mode, minLength, generate)');
  });

  it('an unknown key inside a group override', () => {
    const err = refusal(lines('groups:', '  finance:', '    expiry:', '      maxDays: 3', '      forever: true'));
    assert.match(err.message, /^config\/policy\.yaml line 5: groups\.finance\.expiry\.forever: is not a known setting/);
  });

  it('a problem between two fields points at the field to change', () => {
    const err = refusal(lines('expiry:', '  maxDays: 5', '  defaultDays: 10'));
    assert.equal(err.message, 'config/policy.yaml line 3: expiry.defaultDays: must not be more than expiry.maxDays (5)');
  });

  it('a syntax error names its line', () => {
    const err = refusal(lines('password:', '  mode: required', ' minLength: 3'));
    assert.match(err.message, /^config\/policy\.yaml line 3: not valid YAML: /);
  });

  it('an unclosed flow list is a syntax error on its line', () => {
    const err = refusal(lines('expiry:', '  maxDays: 30', 'recipients: { allowedDomains: [a.com }'));
    assert.match(err.message, /^config\/policy\.yaml line 3: not valid YAML: /);
  });

  it('a repeated key is refused, not silently overwritten', () => {
    const err = refusal(lines('expiry:', '  maxDays: 30', '  maxDays: 300'));
    assert.match(err.message, /^config\/policy\.yaml line 3: not valid YAML: .*unique/);
  });

  it('a top level that is not a mapping is refused', () => {
    assert.equal(refusal(lines('- password', '- expiry')).message, 'config/policy.yaml line 1: the policy must be a mapping of sections');
  });

  it('a looser group override is refused with its line', () => {
    const err = refusal(lines('expiry:', '  maxDays: 30', 'groups:', '  sales.emea:', '    expiry:', '      maxDays: 60'));
    assert.equal(err.message, "config/policy.yaml line 6: groups.sales.emea.expiry.maxDays: 60 is looser than the organisation's 30; a group may only be stricter");
  });

  it('lists every problem, in the order of the file', () => {
    const err = refusal(lines('oneTime: { mode: sometimes }', 'password:', '  mode: never', 'files: { maxFileBytes: 0 }'));
    assert.deepEqual(
      err.problems.map((p) => p.line),
      [1, 3, 4],
    );
    assert.equal(err.message.split('\n').length, 3);
  });
});

describe(loadPolicyFile.name, () => {
  const dir = mkdtempSync(join(tmpdir(), 'policy-file-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('reads a file and names it in errors', () => {
    const good = join(dir, 'good.yaml');
    writeFileSync(good, 'expiry: { maxDays: 14 }\n');
    assert.equal(loadPolicyFile(good).expiry.maxDays, 14);
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'expiry: { maxDays: 0 }\n');
    assert.throws(() => loadPolicyFile(bad), { name: 'PolicyFileError', message: `${bad} line 1: expiry.maxDays: must be a whole number of days from 1 to 3650` });
  });

  it('a missing file is a PolicyFileError that names it', () => {
    const missing = join(dir, 'missing.yaml');
    assert.throws(() => loadPolicyFile(missing), (err: unknown) => err instanceof PolicyFileError && err.message.startsWith(`${missing}: cannot be read`));
  });
});
