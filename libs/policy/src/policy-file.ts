import { readFileSync } from 'node:fs';
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type Document } from 'yaml';
import { looserOverrides } from './effective-policy.js';
import { dottedPath, validatePolicy, type PolicyDocument, type PolicyIssue } from './policy.schema.js';

/** One problem in a policy file; `line` is 1-based, null when the file could not be read at all. */
export interface PolicyFileProblem {
  readonly line: number | null;
  /** The dotted key path, empty for a problem with the file itself (a syntax error). */
  readonly path: string;
  readonly message: string;
}

/** A policy file that cannot be used; the message has one line per problem: `<file> line <n>: <key.path>: <message>`. */
export class PolicyFileError extends Error {
  override name = 'PolicyFileError';
  constructor(
    readonly source: string,
    readonly problems: readonly PolicyFileProblem[],
  ) {
    super(problems.map((p) => `${source}${p.line === null ? '' : ` line ${p.line}`}: ${p.path ? `${p.path}: ` : ''}${p.message}`).join('\n'));
  }
}

type Segment = string | number;

/**
 * The line of the deepest node of `path` that exists in the document: a map entry's key, a list's
 * item. A key that is missing (or a path past a scalar) resolves to its parent, so the line still
 * points at the mapping to fix. An unknown key is present in the file, so its own line is found.
 */
function lineOf(doc: Document, lines: LineCounter, path: readonly Segment[]): number {
  let node: unknown = doc.contents;
  let offset = doc.contents?.range?.[0] ?? 0;
  for (const segment of path) {
    if (isAlias(node)) {
      node = node.resolve(doc);
    }
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(segment));
      if (!pair) {
        break;
      }
      offset = (isScalar(pair.key) ? pair.key.range?.[0] : undefined) ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof segment === 'number' && node.items[segment] !== undefined) {
      node = node.items[segment];
      offset = (node as { range?: [number, number, number] }).range?.[0] ?? offset;
    } else {
      break;
    }
  }
  return lines.linePos(offset).line;
}

function syntaxProblems(doc: Document, lines: LineCounter): PolicyFileProblem[] {
  return doc.errors.map((e) => ({ line: lines.linePos(e.pos[0]).line, path: '', message: `not valid YAML: ${e.message}` }));
}

function toJs(doc: Document): unknown {
  try {
    return doc.toJS({ maxAliasCount: 100 }) ?? {};
  } catch (err) {
    return err instanceof Error ? err : new Error(String(err));
  }
}

/** Schema problems, or looser group overrides (which a saved policy may not have), each with its line. */
function policyProblems(value: unknown): { policy: PolicyDocument | null; issues: PolicyIssue[] } {
  const result = validatePolicy(value);
  if (!result.ok) {
    return { policy: null, issues: result.issues };
  }
  const looser = looserOverrides(result.policy).map((l) => {
    // The group name may itself hold dots, so the path is rebuilt around it rather than split.
    const [section, field] = l.path.slice(`groups.${l.group}.`.length).split('.');
    const prefix = `${l.path}: `;
    return { path: ['groups', l.group, section!, field!], message: l.message.startsWith(prefix) ? l.message.slice(prefix.length) : l.message };
  });
  return { policy: result.policy, issues: looser };
}

/**
 * The policy in YAML `text`, validated like an API body, and refused with line numbers when a group
 * override is looser than the organisation's policy. `sourceName` names the file in messages.
 */
export function parsePolicyYaml(text: string, sourceName: string): PolicyDocument {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new PolicyFileError(sourceName, syntaxProblems(doc, lines));
  }
  const value = toJs(doc);
  if (value instanceof Error) {
    throw new PolicyFileError(sourceName, [{ line: 1, path: '', message: `cannot be read as data: ${value.message}` }]);
  }
  const { policy, issues } = policyProblems(value);
  if (policy === null || issues.length > 0) {
    const problems = issues.map((i) => ({ line: lineOf(doc, lines, i.path), path: i.path.length > 0 ? dottedPath(i.path) : '', message: i.message }));
    throw new PolicyFileError(sourceName, problems.sort((a, b) => a.line - b.line));
  }
  return policy;
}

/** Reads and validates a policy file (e.g. `config/policy.yaml`); throws PolicyFileError naming file, line and key. */
export function loadPolicyFile(path: string): PolicyDocument {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new PolicyFileError(path, [{ line: null, path: '', message: `cannot be read: ${(err as Error).message}` }]);
  }
  return parsePolicyYaml(text, path);
}
