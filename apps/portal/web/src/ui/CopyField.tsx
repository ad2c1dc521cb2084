import { useEffect, useId, useRef, useState, type RefObject } from 'react';

/**
 * A read-only text box with its label and a Copy button beside it, and a line that says whether
 * the copy worked. Where the browser does not allow copying, the text is selected for the keyboard.
 * `copyName` finishes the button's accessible name ("Copy link for ann@…") when a page has several.
 */
export function CopyField({
  label,
  value,
  copyName,
  describedBy,
  monospace,
  focusOnShow,
}: {
  label: string;
  value: string;
  copyName?: string;
  describedBy?: string;
  monospace?: boolean;
  focusOnShow?: boolean;
}) {
  const id = useId();
  const input = useRef<HTMLInputElement>(null);
  const [state, setState] = useState<string>('');
  useEffect(() => {
    if (focusOnShow) {
      selectAll(input);
    }
  }, [focusOnShow, value]);
  const copy = (): void => {
    if (!navigator.clipboard) {
      selectAll(input);
      setState('The text is selected: copy it with your keyboard.');
      return;
    }
    navigator.clipboard.writeText(value).then(
      () => setState('Copied to the clipboard.'),
      () => {
        selectAll(input);
        setState('The browser did not allow copying: the text is selected, copy it with your keyboard.');
      },
    );
  };
  return (
    <div className="copy-field">
      <label htmlFor={id}>{label}</label>
      <div className="copy-row">
        <input
          ref={input}
          id={id}
          type="text"
          readOnly
          value={value}
          spellCheck={false}
          className={monospace ? 'mono' : undefined}
          aria-describedby={describedBy}
          onFocus={(e) => e.currentTarget.select()}
        />
        <button type="button" className="secondary" onClick={copy} aria-describedby={`${id}-copied`}>
          Copy{copyName ? <span className="visually-hidden">{` ${copyName}`}</span> : null}
        </button>
      </div>
      <p id={`${id}-copied`} className="meta copy-state" role="status">
        {state}
      </p>
    </div>
  );
}

function selectAll(input: RefObject<HTMLInputElement | null>): void {
  input.current?.focus();
  input.current?.select();
}
