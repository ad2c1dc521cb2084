import Handlebars from 'handlebars';
import { DomainError } from '@mft/core';
import { MAIL_TEMPLATE_CATALOGUE, type MailTemplate, type MailTemplatePart, type TemplateVariable } from './mail-template-catalogue.js';

/** The largest source of a body part (text or HTML), in bytes of UTF-8. */
export const MAX_BODY_BYTES = 64 * 1024;
/** The largest source of a subject, in characters; the rendered subject is cut to {@link MAX_SUBJECT_CHARS}. */
export const MAX_SUBJECT_SOURCE_CHARS = 2000;
export const MAX_SUBJECT_CHARS = 250;

/**
 * A template an administrator may not save, with the part and line at fault. Answered as 422 with
 * `code` (`mail_template_syntax`, `mail_template_unknown_variable`, `mail_template_forbidden`,
 * `mail_template_invalid`), a message naming the line, and `part`, `line` and `variable` fields.
 */
export class MailTemplateError extends DomainError {
  constructor(code: string, message: string, details: { part: MailTemplatePart; line: number | null; variable?: string }) {
    super('policy', code, message, details);
  }
}

/**
 * Names no template may reach, whatever object they would be looked up on: the way from a value to
 * its constructor (and so to `Function`) or to its prototype. The runtime refuses them as well
 * (allowProto*ByDefault false); refusing them on save says so to the person who wrote them.
 */
const FORBIDDEN_NAMES = new Set([
  'constructor',
  '__proto__',
  'prototype',
  '__defineGetter__',
  '__defineSetter__',
  '__lookupGetter__',
  '__lookupSetter__',
  'hasOwnProperty',
  'isPrototypeOf',
  'propertyIsEnumerable',
  'toString',
  'toLocaleString',
  'valueOf',
]);

/** The only helpers a template may use, each as a block with one value. */
const BLOCK_HELPERS = new Set(['if', 'unless', 'each', 'with']);
/** Every helper Handlebars registers: a bare `{{name}}` with one of these names calls the helper instead of printing a variable. */
const BUILT_IN_HELPERS = new Set([...BLOCK_HELPERS, 'lookup', 'log', 'helperMissing', 'blockHelperMissing']);
/** The `@` variables `{{#each}}` gives its items. */
const EACH_DATA = new Set(['index', 'first', 'last', 'key']);

type Shape =
  | { readonly kind: 'value' }
  | { readonly kind: 'object'; readonly fields: ReadonlyMap<string, Shape>; readonly printable?: boolean }
  | { readonly kind: 'list'; readonly item: Shape };

const VALUE: Shape = { kind: 'value' };

function shapeOf(v: TemplateVariable): Shape {
  switch (v.kind) {
    case 'text':
    case 'number':
    case 'flag':
      return VALUE;
    case 'object':
      // `{{brand}}` prints the organisation's name (the brand was passed as its name before it became
      // an object, and the built-in files print it so); `brand.name` says the same.
      return { kind: 'object', fields: fieldsOf(v.fields), printable: v.name === 'brand' };
    case 'list':
      return { kind: 'list', item: { kind: 'object', fields: fieldsOf(v.fields) } };
  }
}

const fieldsOf = (vars: readonly TemplateVariable[]): ReadonlyMap<string, Shape> => new Map(vars.map((v) => [v.name, shapeOf(v)]));

/** Where a path is looked up: the contexts `this` and `../` name, the block parameters in reach, and whether `@index` exists. */
interface Scope {
  /** Innermost first: only `#each` and `#with` change the context (`#if` keeps it, as Handlebars does since 4.0). */
  readonly contexts: readonly Shape[];
  /** Innermost first. */
  readonly blockParams: ReadonlyArray<ReadonlyMap<string, Shape>>;
  readonly inEach: boolean;
}

const PART_NAME: Record<MailTemplatePart, string> = { subject: 'subject', text: 'text body', html: 'HTML body' };

/** Why Handlebars' parser stopped, in words, from the token it did not expect. */
function parseProblem(message: string): string {
  const got = /got '([A-Z_]+)'/.exec(message)?.[1];
  switch (got) {
    case 'EOF':
      return 'the template ends before a {{…}} tag or a {{#…}} block is closed';
    case 'INVALID':
      return 'a {{…}} tag is not closed, or holds something that is not a variable name';
    case 'INVERSE':
    case 'OPEN_INVERSE_CHAIN':
      return 'an {{else}} outside an {{#if}}, {{#unless}} or {{#each}} block';
    case 'OPEN_ENDBLOCK':
      return 'a closing {{/…}} tag without its opening {{#…}} block';
    case 'CLOSE':
    case 'CLOSE_UNESCAPED':
      return 'a tag ends where a name or value was expected';
    case undefined:
      return message.split('\n')[0] ?? message;
    default:
      return `unexpected ${got.toLowerCase().replace(/_/g, ' ')}`;
  }
}

/**
 * Checks one part of a template before it is saved or previewed: Handlebars' own parser (a syntax
 * error names its line), then every tag of the tree it gives. A template may print and test the
 * variables its message receives (the catalogue), use `{{#if}}`, `{{#unless}}`, `{{#each}}` and
 * `{{#with}}` blocks (with block parameters, `this`, `../`, `@index`, `@first`, `@last`, `@key`,
 * `@root`), and comments; nothing else. HTML parts may not use `{{{…}}}` or `{{&…}}`, which would
 * print data unescaped. Throws {@link MailTemplateError}.
 */
export function validateTemplatePart(template: MailTemplate, part: MailTemplatePart, source: string): void {
  const where = (line: number | null): string => (line === null ? `The ${PART_NAME[part]}` : `Line ${line} of the ${PART_NAME[part]}`);
  const fail = (code: string, line: number | null, problem: string, variable?: string): never => {
    throw new MailTemplateError(code, `${where(line)}: ${problem}`, { part, line, ...(variable !== undefined ? { variable } : {}) });
  };

  if (part === 'subject') {
    if (source.length > MAX_SUBJECT_SOURCE_CHARS) {
      fail('mail_template_invalid', null, `a subject may be at most ${MAX_SUBJECT_SOURCE_CHARS} characters.`);
    }
    const lines = source.replace(/\s+$/, '').split(/\r\n|\r|\n/);
    if (lines.length > 1) {
      fail('mail_template_invalid', 2, 'a subject is one line: remove the line break.');
    }
    if (source.trim() === '') {
      fail('mail_template_invalid', 1, 'the subject is empty.');
    }
  } else if (Buffer.byteLength(source, 'utf8') > MAX_BODY_BYTES) {
    fail('mail_template_invalid', null, `a body may be at most ${MAX_BODY_BYTES / 1024} KiB.`);
  } else if (source.trim() === '') {
    fail('mail_template_invalid', 1, 'the body is empty.');
  }

  let program: hbs.AST.Program;
  try {
    program = Handlebars.parse(source);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const fromParser = /^Parse error on line (\d+):/.exec(message);
    if (fromParser) {
      fail('mail_template_syntax', Number(fromParser[1]), `syntax error: ${parseProblem(message)}.`);
    }
    // Errors found while building the tree (a block closed by another name) carry their line.
    const line = (err as { lineNumber?: unknown }).lineNumber;
    const what = message.replace(/ - \d+:\d+$/, '');
    const mismatch = /^(.+) doesn't match (.+)$/.exec(what);
    return fail(
      'mail_template_syntax',
      typeof line === 'number' ? line : null,
      `syntax error: ${mismatch ? `{{#${mismatch[1]}}} is closed by {{/${mismatch[2]}}}` : what}.`,
    );
  }

  const root: Shape = { kind: 'object', fields: fieldsOf(MAIL_TEMPLATE_CATALOGUE[template].variables) };
  const known = MAIL_TEMPLATE_CATALOGUE[template].variables.map((v) => v.name).join(', ');
  const lineOf = (node: hbs.AST.Node): number => node.loc.start.line;

  const forbidden = (node: hbs.AST.Node, what: string): never => fail('mail_template_forbidden', lineOf(node), what);

  const resolve = (path: hbs.AST.PathExpression, scope: Scope): Shape => {
    const bad = path.parts.find((p) => FORBIDDEN_NAMES.has(p));
    if (bad !== undefined) {
      forbidden(path, `“${path.original}” reaches “${bad}”, which templates may not use (it leads to JavaScript internals, not to the message’s data).`);
    }
    const unknown = (shown: string): never =>
      fail('mail_template_unknown_variable', lineOf(path), `“${shown}” is not a variable of this email. Its variables are: ${known}.`, shown);
    const walk = (start: Shape, parts: readonly string[], shown: string): Shape => {
      let shape = start;
      for (const p of parts) {
        if (shape.kind === 'object' && shape.fields.has(p)) {
          shape = shape.fields.get(p)!;
        } else if (shape.kind === 'list' && p === 'length') {
          shape = VALUE;
        } else {
          return unknown(shown);
        }
      }
      return shape;
    };
    if (path.data) {
      const [head, ...rest] = path.parts;
      if (path.depth === 0 && head === 'root') {
        return walk(root, rest, path.original);
      }
      if (path.depth === 0 && head !== undefined && EACH_DATA.has(head) && rest.length === 0 && scope.inEach) {
        return VALUE;
      }
      return unknown(path.original);
    }
    // The same test as Handlebars' compiler: `this.x` and `./x` never name a block parameter.
    const scoped = /^\.|this\b/.test(path.original);
    const [head, ...rest] = path.parts;
    if (path.depth === 0 && !scoped && head !== undefined) {
      const param = scope.blockParams.find((m) => m.has(head));
      if (param) {
        return walk(param.get(head)!, rest, path.original);
      }
    }
    const context = scope.contexts[path.depth];
    if (!context) {
      return unknown(path.original);
    }
    return walk(context, path.parts, path.original);
  };

  /** A literal in the place of a name is looked up as that name (`{{"x"}}` prints `x`). */
  const asPath = (node: hbs.AST.Expression): hbs.AST.PathExpression | null => {
    switch (node.type) {
      case 'PathExpression':
        return node as hbs.AST.PathExpression;
      case 'StringLiteral':
      case 'NumberLiteral':
      case 'BooleanLiteral': {
        const value = String((node as hbs.AST.StringLiteral).value);
        return { type: 'PathExpression', data: false, depth: 0, parts: [value], original: value, loc: node.loc };
      }
      default:
        return null;
    }
  };

  const isHelperName = (path: hbs.AST.PathExpression, scope: Scope): boolean =>
    !path.data && path.depth === 0 && path.parts.length === 1 && !/^\.|this\b/.test(path.original) && !scope.blockParams.some((m) => m.has(path.parts[0]!));

  const refuseHelper = (node: hbs.AST.Node, name: string, block: boolean): never => {
    if (name === 'lookup') {
      return forbidden(node, '“lookup” may not be used: print a variable by its name.');
    }
    if (BLOCK_HELPERS.has(name)) {
      return forbidden(node, `“${name}” is only a block: write {{#${name} value}}…{{/${name}}}.`);
    }
    return forbidden(node, `${block ? `{{#${name}}}` : `“${name}”`} is not allowed: templates may only use {{#if}}, {{#unless}}, {{#each}} and {{#with}} blocks.`);
  };

  const value = (node: hbs.AST.Expression, scope: Scope): Shape => {
    if (node.type === 'SubExpression') {
      const p = asPath((node as hbs.AST.SubExpression).path);
      return refuseHelper(node, p?.original ?? 'a helper', false);
    }
    const path = node.type === 'PathExpression' ? (node as hbs.AST.PathExpression) : null;
    return path ? resolve(path, scope) : VALUE;
  };

  const statements = (body: readonly hbs.AST.Statement[], scope: Scope): void => {
    for (const node of body) {
      switch (node.type) {
        case 'ContentStatement':
        case 'CommentStatement':
          break;
        case 'MustacheStatement': {
          const m = node as hbs.AST.MustacheStatement;
          const path = asPath(m.path);
          if (!path) {
            refuseHelper(m, 'a helper', false);
          }
          if (m.params.length > 0 || (m.hash?.pairs.length ?? 0) > 0 || isHelperNameBuiltIn(path!, scope)) {
            refuseHelper(m, path!.original, false);
          }
          if (!m.escaped && part === 'html') {
            forbidden(m, '{{{…}}} and {{&…}} print data without HTML escaping, which HTML emails may not do: use {{…}}.');
          }
          const shape = resolve(path!, scope);
          if (shape.kind !== 'value' && !(shape.kind === 'object' && shape.printable)) {
            fail(
              'mail_template_unknown_variable',
              lineOf(m),
              shape.kind === 'list'
                ? `“${path!.original}” is a list: print its items inside {{#each ${path!.original}}}…{{/each}}.`
                : `“${path!.original}” is a group of values: print one of its fields (e.g. ${path!.original}.${[...shape.fields.keys()][0] ?? 'name'}).`,
              path!.original,
            );
          }
          break;
        }
        case 'BlockStatement': {
          const b = node as hbs.AST.BlockStatement;
          const path = asPath(b.path);
          const name = path?.original ?? 'a helper';
          if (!path || !isHelperName(path, scope) || !BLOCK_HELPERS.has(name)) {
            refuseHelper(b, name, true);
          }
          if ((b.hash?.pairs.length ?? 0) > 0) {
            forbidden(b, `{{#${name}}} takes one value and no options (name=value).`);
          }
          if (b.params.length !== 1) {
            fail('mail_template_syntax', lineOf(b), `syntax error: {{#${name}}} takes exactly one value, e.g. {{#${name} ${name === 'each' ? 'files' : 'message'}}}.`);
          }
          const shape = value(b.params[0]!, scope);
          const params = b.program?.blockParams ?? [];
          const named = (shapes: readonly Shape[]): ReadonlyMap<string, Shape> => new Map(params.map((p, i) => [p, shapes[i] ?? VALUE]));
          if (params.length > 0 && (name === 'if' || name === 'unless')) {
            forbidden(b, `{{#${name}}} has no block parameters (as |…|).`);
          }
          let inner: Scope = scope;
          if (name === 'each') {
            if (shape.kind !== 'list') {
              fail('mail_template_unknown_variable', lineOf(b), `{{#each}} goes through a list, and “${asPath(b.params[0]!)?.original ?? 'this value'}” is not one.`, asPath(b.params[0]!)?.original);
            }
            const item = (shape as Extract<Shape, { kind: 'list' }>).item;
            inner = { contexts: [item, ...scope.contexts], blockParams: params.length ? [named([item, VALUE]), ...scope.blockParams] : scope.blockParams, inEach: true };
          } else if (name === 'with') {
            inner = { contexts: [shape, ...scope.contexts], blockParams: params.length ? [named([shape]), ...scope.blockParams] : scope.blockParams, inEach: scope.inEach };
          }
          if (b.program) {
            statements(b.program.body, inner);
          }
          if (b.inverse) {
            statements(b.inverse.body, scope);
          }
          break;
        }
        case 'PartialStatement':
        case 'PartialBlockStatement':
          forbidden(node, 'partials ({{> …}}) are not allowed: write the text in the template.');
          break;
        case 'Decorator':
        case 'DecoratorBlock':
          forbidden(node, 'decorators ({{* …}}) are not allowed.');
          break;
        default:
          forbidden(node, `${node.type} is not allowed.`);
      }
    }
  };

  const isHelperNameBuiltIn = (path: hbs.AST.PathExpression, scope: Scope): boolean => isHelperName(path, scope) && BUILT_IN_HELPERS.has(path.parts[0]!);

  statements(program.body, { contexts: [root], blockParams: [], inEach: false });
}
