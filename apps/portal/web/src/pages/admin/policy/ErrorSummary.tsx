import { useEffect, useRef } from 'react';
import { fieldId, fieldOf, type Problem } from './document.ts';
import { labelOf } from './labels.ts';

/** Puts the focus on a field (a group of checkboxes: its first box). */
export function focusField(key: string): void {
  const el = document.getElementById(fieldId(key));
  const target = el instanceof HTMLFieldSetElement ? el.querySelector('input') : el;
  target?.focus();
}

/**
 * The gateway's refusal at the top of the form: its message, and each problem named by its field,
 * a link that moves the focus there. It takes the focus when it appears.
 */
export function ErrorSummary({
  message,
  problems,
  fields,
  groups,
  onGoTo,
}: {
  message: string;
  problems: readonly Problem[];
  fields: readonly string[];
  groups: readonly string[];
  onGoTo: (key: string) => void;
}) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    ref.current?.focus();
  }, [message, problems]);
  return (
    <div className="error-summary" role="alert" tabIndex={-1} ref={ref} aria-labelledby="policy-error-summary-title">
      <h2 id="policy-error-summary-title">{problems.length > 0 ? 'The policy was not accepted' : 'The gateway refused'}</h2>
      {problems.length > 0 ? (
        <ul>
          {problems.map((p) => {
            const key = fieldOf(p, fields);
            const text = `${labelOf(p.path, groups)}: ${p.message}`;
            return (
              <li key={`${p.path} ${p.message}`}>
                {key ? (
                  <a
                    href={`#${fieldId(key)}`}
                    onClick={(e) => {
                      e.preventDefault();
                      onGoTo(key);
                    }}
                  >
                    {text}
                  </a>
                ) : (
                  <>
                    {text} <span className="meta">{`(${p.path}: change it in the YAML view)`}</span>
                  </>
                )}
              </li>
            );
          })}
        </ul>
      ) : (
        <p>{message}</p>
      )}
    </div>
  );
}
