/** One changed setting between two policy versions, by dotted path. */
export interface PolicyChange {
  readonly path: string;
  readonly from: unknown;
  readonly to: unknown;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** The settings that differ between two documents (lists compare as wholes). */
export function policyDiff(before: unknown, after: unknown, path = ''): PolicyChange[] {
  if (isPlainObject(before) && isPlainObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    return keys.flatMap((k) => policyDiff(before[k], after[k], path ? `${path}.${k}` : k));
  }
  return JSON.stringify(before) === JSON.stringify(after) ? [] : [{ path: path || '(policy)', from: before ?? null, to: after ?? null }];
}
