import { parseDocument, stringify } from 'yaml';
import { ApiError } from '../../../api/client.ts';
import type { PolicyDocument, PolicySection } from '../../../api/policy.ts';

/**
 * The edited policy document and what the page does with it: read and set a setting by its key
 * path, compare two documents, move between the form and YAML, and read the gateway's refusals
 * as problems attached to settings. The gateway validates; nothing here decides what is allowed.
 */

/** A setting's place in the document: `['expiry', 'maxDays']`, `['groups', 'finance', 'expiry', 'maxDays']`. */
export type KeyPath = readonly string[];

/** The dotted form the gateway uses in its refusals (a group name may itself hold dots: built, never split). */
export const dotted = (path: KeyPath): string => path.join('.');

const isMapping = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Sets an own property, whatever the key (`__proto__` too, so that the gateway sees it and names it). */
function put(node: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(node, key, { value, enumerable: true, writable: true, configurable: true });
}

export function getAt(doc: unknown, path: KeyPath): unknown {
  let node: unknown = doc;
  for (const key of path) {
    if (!isMapping(node) || !Object.hasOwn(node, key)) {
      return undefined;
    }
    node = node[key];
  }
  return node;
}

/** A copy of `doc` with the setting at `path` replaced; `undefined` removes it (and a group's section it leaves empty: not overridden). */
export function setAt<T>(doc: T, path: KeyPath, value: unknown, at: KeyPath = []): T {
  const [key, ...rest] = path;
  if (key === undefined) {
    return value as T;
  }
  const node: Record<string, unknown> = isMapping(doc) ? { ...doc } : {};
  const next = rest.length === 0 ? value : setAt(Object.hasOwn(node, key) ? node[key] : undefined, rest, value, [...at, key]);
  const groupSection = at.length === 2 && at[0] === 'groups';
  if (next === undefined || (groupSection && isMapping(next) && Object.keys(next).length === 0)) {
    delete node[key];
  } else {
    put(node, key, next);
  }
  return node as T;
}

/** One setting that differs between two documents (lists compare as wholes); `undefined` is "not set". */
export interface Change {
  readonly path: KeyPath;
  readonly from: unknown;
  readonly to: unknown;
}

export function diff(before: unknown, after: unknown, path: KeyPath = []): Change[] {
  if (isMapping(before) && isMapping(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    return keys.flatMap((k) => diff(before[k], after[k], [...path, k]));
  }
  return JSON.stringify(before) === JSON.stringify(after) ? [] : [{ path, from: before, to: after }];
}

/** `mine` (changes from a base) laid over another document: the edits kept after someone else saved. */
export function applyChanges<T>(doc: T, changes: readonly Change[]): T {
  return changes.reduce((d, c) => setAt(d, c.path, c.to), doc);
}

/** A value as a diff shows it. */
export function shown(value: unknown): string {
  if (value === undefined) {
    return '(not set)';
  }
  return typeof value === 'string' ? value : JSON.stringify(value);
}

// ---- YAML ----

const SECTIONS: readonly PolicySection[] = ['password', 'emailVerification', 'oneTime', 'downloads', 'expiry', 'files', 'creators', 'recipients', 'notifications'];

/** The order DESIGN.md writes the settings in (the database keeps no order). */
const FIELD_ORDER: Readonly<Record<PolicySection, readonly string[]>> = {
  password: ['mode', 'minLength', 'generate'],
  emailVerification: ['mode', 'requiredOutsideDomains'],
  oneTime: ['mode'],
  downloads: ['default', 'max'],
  expiry: ['defaultDays', 'maxDays', 'allowNever'],
  files: ['maxFileBytes', 'maxTotalBytes'],
  creators: ['send', 'share', 'externalUsers'],
  recipients: ['allowedDomains', 'blockedDomains'],
  notifications: ['notifySenderOnDownload', 'emailRecipients'],
};

/** `value`'s keys in `order` first, then any others as they came. */
function inOrder(value: Record<string, unknown>, order: readonly string[], each: (key: string, v: unknown) => unknown = (_k, v) => v): Record<string, unknown> {
  const keys = [...order.filter((k) => Object.hasOwn(value, k)), ...Object.keys(value).filter((k) => !order.includes(k))];
  return Object.fromEntries(keys.map((k) => [k, each(k, value[k])]));
}

const sectionsInOrder = (value: Record<string, unknown>, extra: readonly string[]): Record<string, unknown> =>
  inOrder(value, [...SECTIONS, ...extra], (k, v) => (isMapping(v) && Object.hasOwn(FIELD_ORDER, k) ? inOrder(v, FIELD_ORDER[k as PolicySection]) : v));

/** The document as YAML, sections and settings in their documented order. */
export function toYaml(doc: unknown): string {
  if (!isMapping(doc)) {
    return stringify(doc, { lineWidth: 0 });
  }
  const ordered = sectionsInOrder(doc, ['groups']);
  if (isMapping(ordered.groups)) {
    ordered.groups = Object.fromEntries(Object.entries(ordered.groups).map(([g, o]) => [g, isMapping(o) ? sectionsInOrder(o, []) : o]));
  }
  return stringify(ordered, { lineWidth: 0 });
}

/**
 * The document a YAML text describes, on top of the form's: a section's fields left out keep the
 * form's values, the groups are the YAML's (none when it has none), and unknown keys are kept so
 * the gateway names them. A syntax error answers a sentence naming its line.
 */
export function fromYaml(text: string, base: PolicyDocument): { ok: true; document: PolicyDocument } | { ok: false; message: string } {
  const parsed = parseDocument(text);
  const error = parsed.errors[0];
  if (error) {
    const line = error.linePos?.[0];
    const first = (error.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '');
    return { ok: false, message: `The YAML is not valid${line ? ` on line ${String(line.line)} (column ${String(line.col)})` : ''}: ${first}.` };
  }
  let value: unknown;
  try {
    value = parsed.toJS({ maxAliasCount: 100 }) ?? {};
  } catch (e) {
    return { ok: false, message: `The YAML cannot be read: ${e instanceof Error ? e.message : String(e)}.` };
  }
  if (!isMapping(value)) {
    return { ok: false, message: 'The YAML must be a mapping of policy sections (password:, expiry:, groups: …), not a single value or a list.' };
  }
  const merged: Record<string, unknown> = { ...base, groups: {} };
  for (const [key, section] of Object.entries(value)) {
    const current = Object.hasOwn(base, key) ? (base as unknown as Record<string, unknown>)[key] : undefined;
    put(merged, key, (SECTIONS as readonly string[]).includes(key) && isMapping(section) && isMapping(current) ? { ...current, ...section } : section);
  }
  return { ok: true, document: merged as unknown as PolicyDocument };
}

// ---- refusals as problems on settings ----

/** A problem the gateway found, at a dotted key path (`(policy)` for the document itself). */
export interface Problem {
  readonly path: string;
  readonly message: string;
}

/**
 * The problems of a refusal: 400 `policy_invalid` and 422 `policy_override_looser` list
 * `problems: [{ path, message }]`; anything else has none (its message is shown as it is).
 */
export function problemsOf(error: unknown): Problem[] {
  if (!(error instanceof ApiError) || !Array.isArray(error.body.problems)) {
    return [];
  }
  return (error.body.problems as unknown[]).flatMap((p) => {
    if (!isMapping(p) || typeof p.path !== 'string' || typeof p.message !== 'string') {
      return [];
    }
    // A looser override's message starts with its path; next to the field the path is noise.
    const message = p.message.startsWith(`${p.path}: `) ? p.message.slice(p.path.length + 2) : p.message;
    return [{ path: p.path, message }];
  });
}

/** The field a problem belongs to: its own key, or the list it is an item of (`recipients.allowedDomains.2`). */
export function fieldOf(problem: Problem, fields: readonly string[]): string | null {
  if (fields.includes(problem.path)) {
    return problem.path;
  }
  return fields.find((f) => problem.path.startsWith(`${f}.`) && /^\d+$/.test(problem.path.slice(f.length + 1))) ?? null;
}

/** A DOM id for a field key (group names may hold any character). */
export const fieldId = (key: string): string => `policy-${key.replace(/[^A-Za-z0-9_-]/g, (c) => `_${c.codePointAt(0)!.toString(16)}_`)}`;
