import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Handlebars from 'handlebars';
import { MAIL_TEMPLATE_PARTS, MAIL_TEMPLATES, sampleDataOf, type MailTemplatePart } from './mail-template-catalogue.js';
import { MailTemplateError, validateTemplatePart } from './mail-template-validator.js';
import { BuiltInMailTemplates, MailRenderer } from './mail-templates.js';

const sut = validateTemplatePart;

/** The refusal of `source` as the `part` of recipient-invitation. */
function refusal(source: string, part: MailTemplatePart = 'html'): MailTemplateError {
  try {
    sut('recipient-invitation', part, source);
  } catch (err) {
    assert.ok(err instanceof MailTemplateError, `a MailTemplateError, not ${String(err)}`);
    return err;
  }
  assert.fail(`${JSON.stringify(source)} was accepted`);
}

describe('validateTemplatePart', () => {
  it('accepts every built-in template file (they still print {{brand}} as text; brand.* is accepted too)', () => {
    const files = BuiltInMailTemplates.load();
    for (const name of MAIL_TEMPLATES) {
      for (const part of MAIL_TEMPLATE_PARTS) {
        assert.doesNotThrow(() => sut(name, part, files.of(name)[part]), `${name}.${part}.hbs`);
      }
    }
  });

  it('accepts variables, brand fields, blocks with else-if, block parameters, this, ../, @index and @root', () => {
    const ok = [
      '{{senderName}} {{brand.name}} {{brand.primaryColor}} {{brand}}',
      '{{#if folder}}a folder{{else if single}}a file{{else}}{{fileCount}} files{{/if}}',
      '{{#each files}}{{@index}} {{name}} {{this.sizeText}} {{../senderName}} {{@root.recipient}} {{#if @first}}first{{/if}}{{/each}}',
      '{{#each files as |file i|}}{{i}}: {{file.name}} {{name}} {{#with file as |f|}}{{f.sizeText}} {{sizeText}}{{/with}}{{/each}}',
      '{{#with brand}}{{name}} {{../senderName}}{{/with}}',
      '{{#unless oneTime}}{{maxDownloads}}{{/unless}} {{files.length}}',
      '{{!-- a comment {{constructor}} --}}{{! another }}',
      '{{#each files}}{{else}}no files{{/each}}',
    ];
    for (const source of ok) {
      assert.doesNotThrow(() => sut('recipient-invitation', 'html', source), source);
    }
  });

  it('answers a syntax error with the line it is on', () => {
    const e = refusal('Hello\n\n{{#if message}}\n{{message}}\n');
    assert.equal(e.code, 'mail_template_syntax');
    assert.equal(e.details.line, 5);
    assert.match(e.message, /^Line 5 of the HTML body: syntax error/);
    const unclosed = refusal('one\ntwo {{senderName\nthree');
    assert.equal(unclosed.code, 'mail_template_syntax');
    assert.equal(unclosed.details.line, 2);
    const mismatch = refusal('a\n{{#if single}}\n{{/each}}');
    assert.equal(mismatch.code, 'mail_template_syntax');
    assert.equal(mismatch.details.line, 2);
    assert.match(mismatch.message, /\{\{#if\}\} is closed by \{\{\/each\}\}/);
  });

  it('names an unknown variable and its line, in the scope it is used in', () => {
    const e = refusal('Hello\n{{senderNmae}}');
    assert.equal(e.code, 'mail_template_unknown_variable');
    assert.equal(e.details.variable, 'senderNmae');
    assert.equal(e.details.line, 2);
    assert.match(e.message, /^Line 2 of the HTML body: “senderNmae” is not a variable of this email\. Its variables are: senderName, /);
    // Inside #each, `this` is a file: the message's variables are one level up.
    assert.equal(refusal('{{#each files}}\n{{senderName}}{{/each}}').details.variable, 'senderName');
    assert.equal(refusal('{{#each files}}{{../../senderName}}{{/each}}').code, 'mail_template_unknown_variable');
    assert.equal(refusal('{{@index}}').details.variable, '@index');
    assert.equal(refusal('{{brand.colour}}').details.variable, 'brand.colour');
    assert.equal(refusal('{{#each files as |f|}}{{this.f}}{{/each}}').details.variable, 'this.f', 'this.x never names a block parameter');
    assert.equal(refusal('{{#each senderName}}{{/each}}').code, 'mail_template_unknown_variable');
    assert.match(refusal('{{files}}').message, /is a list/);
    // Another template's variable is unknown here.
    assert.throws(() => sut('verification-code', 'text', '{{url}}'), (err: unknown) => err instanceof MailTemplateError && err.details.variable === 'url');
  });

  it('refuses constructor, prototypes, lookup, helpers, partials and decorators', () => {
    for (const source of [
      '{{constructor.constructor}}',
      '{{__proto__}}',
      '{{senderName.constructor}}',
      '{{#each files}}{{name.__proto__.polluted}}{{/each}}',
      '{{[constructor]}}',
      '{{"constructor"}}',
      '{{@root.constructor}}',
      '{{lookup this "constructor"}}',
      '{{lookup}}',
      '{{#with constructor}}x{{/with}}',
      '{{#with (lookup this "constructor")}}x{{/with}}',
      '{{#if (lookup this "x")}}x{{/if}}',
      '{{log senderName}}',
      '{{log}}',
      '{{if oneTime "a" "b"}}',
      '{{#custom senderName}}x{{/custom}}',
      '{{#senderName}}x{{/senderName}}',
      '{{^senderName}}x{{/senderName}}',
      '{{#if oneTime as |x|}}{{/if}}',
      '{{#each files key="x"}}{{/each}}',
      '{{> header}}',
      '{{#> layout}}x{{/layout}}',
      '{{* decorator}}',
      '{{__defineGetter__}}',
      '{{hasOwnProperty}}',
    ]) {
      const e = refusal(source);
      assert.equal(e.code, 'mail_template_forbidden', `${source}: ${e.code} ${e.message}`);
      assert.equal(e.details.line, 1);
    }
  });

  it('refuses unescaped output in HTML, where it would bypass escaping, but not in text', () => {
    assert.equal(refusal('{{{message}}}').code, 'mail_template_forbidden');
    assert.equal(refusal('{{& message}}').code, 'mail_template_forbidden');
    assert.doesNotThrow(() => sut('recipient-invitation', 'text', '{{{message}}}'));
  });

  it('keeps a subject to one line, and bodies to 64 KiB', () => {
    assert.equal(refusal('Files\nfor you', 'subject').code, 'mail_template_invalid');
    assert.equal(refusal('   ', 'subject').code, 'mail_template_invalid');
    assert.doesNotThrow(() => sut('recipient-invitation', 'subject', '{{senderName}} sent you files\n'));
    assert.equal(refusal('x'.repeat(64 * 1024 + 1), 'text').code, 'mail_template_invalid');
    assert.equal(refusal(' \n ', 'html').code, 'mail_template_invalid');
  });
});

describe(MailRenderer.name, () => {
  it('runs on Handlebars 4.7.9 or later (the releases that close the prototype-access holes)', () => {
    const [major, minor, patch] = Handlebars.VERSION.split('.').map(Number) as [number, number, number];
    assert.ok(major > 4 || (major === 4 && (minor > 7 || (minor === 7 && patch >= 9))), `Handlebars ${Handlebars.VERSION}`);
  });

  it('renders the built-in files with each template’s sample data, escaping data in HTML and leaving template syntax in data literal', () => {
    const sut = new MailRenderer();
    for (const name of MAIL_TEMPLATES) {
      const mail = sut.renderSources(sut.builtIns.of(name), sampleDataOf(name));
      assert.ok(mail.subject.length > 0 && !/[\r\n]/.test(mail.subject), name);
      assert.match(mail.html, /Example Corp file transfer/, `${name}: the sample brand prints as its name`);
    }
    const mail = sut.renderSources(
      { subject: '{{senderName}}', text: '{{message}}', html: '<p>{{message}}</p>' },
      { ...sampleDataOf('recipient-invitation'), senderName: 'A\r\nBcc: x@y', message: '<script>alert(1)</script> {{constructor.constructor}}' },
    );
    assert.equal(mail.subject, 'A Bcc: x@y');
    assert.equal(mail.text, '<script>alert(1)</script> {{constructor.constructor}}');
    assert.ok(mail.html.includes('<p>&lt;script&gt;alert(1)&lt;/script&gt; {{constructor.constructor}}</p>'));
  });

  it('prints {{brand}} as the organisation’s name, whether the brand arrives as its name or as the brand object', () => {
    const sut = new MailRenderer();
    const sources = { subject: '{{brand}}', text: '{{brand}} / {{brand.name}} / {{brand.primaryColor}}', html: '<p>{{brand}}</p>' };
    const asObject = sut.renderSources(sources, { brand: { name: 'Acme <Files>', primaryColor: '#112233' } });
    assert.equal(asObject.subject, 'Acme <Files>');
    assert.equal(asObject.text, 'Acme <Files> / Acme <Files> / #112233');
    assert.ok(asObject.html.includes('<p>Acme &lt;Files&gt;</p>'));
    assert.equal(sut.renderSources(sources, { brand: 'Acme' }).text, 'Acme /  / ');
  });

  it('reads no property of a prototype at run time either', () => {
    const sut = new MailRenderer();
    const polluted = Object.create({ inherited: 'from the prototype' }) as Record<string, unknown>;
    const mail = sut.renderSources({ subject: 's', text: '[{{brand.inherited}}]', html: 'h' }, { brand: polluted });
    assert.equal(mail.text, '[]');
    assert.throws(() => sut.renderSources({ subject: 's', text: '{{lookup this "x"}}', html: 'h' }, {}), /lookup/);
  });
});
