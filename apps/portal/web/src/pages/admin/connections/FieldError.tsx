import { useEffect, useRef } from 'react';
import { Refusal } from '../../../ui/Refusal.tsx';
import { fieldId } from './fields.ts';

/** What is wrong with one field, beside it (the field's aria-describedby names `id`). */
export function FieldError({ id, messages }: { id: string; messages: readonly string[] }) {
  if (messages.length === 0) {
    return null;
  }
  return (
    <p id={id} className="field-error">
      {messages.join(' ')}
    </p>
  );
}

/** Puts the focus on a field: the control itself, or the first control of a group (recipients, roles). */
function focusField(id: string): void {
  const el = document.getElementById(id);
  const control = el && !['INPUT', 'SELECT', 'TEXTAREA'].includes(el.tagName) ? el.querySelector<HTMLElement>('input, select, textarea') : el;
  (control ?? el)?.focus();
}

/**
 * The gateway's refusal at the top of an admin form (`formId`), which takes the focus when it
 * appears: each problem named by its field's label, a link that moves the focus to that field; a
 * refusal that names no field in `summary`; anything else (the gateway unreachable) as `error`.
 */
export function FormErrorSummary({
  formId,
  title,
  problems,
  summary,
  error,
  labelOf,
}: {
  formId: string;
  title: string;
  /** Field path → what is wrong with it. */
  problems: ReadonlyArray<readonly [string, readonly string[]]>;
  summary: string | null;
  error: unknown;
  labelOf: (path: string) => string;
}) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => ref.current?.focus(), [problems, summary, error]);
  return (
    <div className="error-summary" ref={ref} tabIndex={-1} role="alert" aria-labelledby={`${formId}-summary-title`}>
      <h3 id={`${formId}-summary-title`}>{title}</h3>
      {problems.length > 0 ? <p>Correct what is marked:</p> : summary !== null ? <p>{summary}</p> : <Refusal error={error} />}
      {problems.length > 0 ? (
        <ul>
          {problems.map(([path, messages]) => (
            <li key={path}>
              <a
                href={`#${fieldId(formId, path)}`}
                onClick={(e) => {
                  e.preventDefault();
                  focusField(fieldId(formId, path));
                }}
              >
                {labelOf(path)}: {messages.join(' ')}
              </a>
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}
