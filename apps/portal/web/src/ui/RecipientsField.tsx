import { useEffect, useId, useRef, useState, type ClipboardEvent, type FocusEvent, type KeyboardEvent } from 'react';
import './fields.css';

/** What the browser can tell of an address; the gateway decides (policy domains, exact syntax). */
const EMAIL = /^[^\s@,;<>()"]+@[^\s@,;<>()"]+\.[^\s@,;<>()".]{2,}$/;
const SEPARATORS = /[\s,;]+/;

/** The name of the text box: its text (not yet chips) is in the form's data. */
const TYPED_FIELD = 'recipients-typed';

export const isEmailAddress = (s: string): boolean => EMAIL.test(s) && s.length <= 320;

/** The entries of a pasted or typed list: split on commas, semicolons, spaces and new lines. */
export const splitAddresses = (text: string): string[] => text.split(SEPARATORS).filter((s) => s !== '');

/**
 * The recipients of a new link (send or share), labelled "Recipients": each address a chip, checked
 * as it is added; invalid ones stay as invalid chips with a message until removed. Several at once
 * (typed or pasted lists). A chip is removed with its button, or with Delete or Backspace on it;
 * Backspace in the empty field removes the last one.
 * Text still in the box becomes chips when the field loses focus, except to the form's submit
 * button (the chips moving the button under the pointer would lose the click): the form reads it
 * then with `withTypedRecipients`.
 */
export function RecipientsField({
  value,
  onChange,
  hint = 'Email addresses: type or paste several, separated by commas, spaces or new lines. Leave empty for one link to pass on yourself.',
}: {
  value: readonly string[];
  onChange: (value: string[]) => void;
  hint?: string;
}) {
  const id = useId();
  const [text, setText] = useState('');
  const input = useRef<HTMLInputElement>(null);
  const chips = useRef<Array<HTMLButtonElement | null>>([]);
  const invalid = value.filter((v) => !isEmailAddress(v));
  // Once the form took the typed text as chips, the box is empty again.
  useEffect(() => {
    const typed = splitAddresses(text);
    if (typed.length > 0 && typed.every((t) => value.some((v) => v.toLowerCase() === t.toLowerCase()))) {
      setText('');
    }
  }, [value]);

  const add = (entries: readonly string[]): void => {
    const fresh = entries.filter((e) => !value.some((v) => v.toLowerCase() === e.toLowerCase()));
    if (fresh.length > 0) {
      onChange([...value, ...fresh.filter((e, i) => fresh.findIndex((f) => f.toLowerCase() === e.toLowerCase()) === i)]);
    }
  };
  const remove = (index: number): void => {
    onChange(value.filter((_, i) => i !== index));
    // Focus stays in the field: on the next chip, else the previous, else the text box.
    const next = chips.current[index + 1] ?? chips.current[index - 1];
    (next ?? input.current)?.focus();
  };
  const onInput = (raw: string): void => {
    const parts = raw.split(SEPARATORS);
    if (parts.length > 1) {
      // Everything before the last separator is complete; the rest is still being typed.
      add(parts.slice(0, -1).filter((p) => p !== ''));
      setText(parts[parts.length - 1]!);
    } else {
      setText(raw);
    }
  };
  const onPaste = (e: ClipboardEvent<HTMLInputElement>): void => {
    const pasted = e.clipboardData.getData('text');
    if (SEPARATORS.test(pasted.trim())) {
      e.preventDefault();
      add(splitAddresses(`${text}${pasted}`));
      setText('');
    }
  };
  const onKeyDown = (e: KeyboardEvent<HTMLInputElement>): void => {
    if (e.key === 'Enter' && text.trim() !== '') {
      e.preventDefault();
      add(splitAddresses(text));
      setText('');
    } else if (e.key === 'Backspace' && text === '' && value.length > 0) {
      e.preventDefault();
      onChange(value.slice(0, -1));
    }
  };
  const onChipKey = (e: KeyboardEvent<HTMLButtonElement>, index: number): void => {
    if (e.key === 'Delete' || e.key === 'Backspace') {
      e.preventDefault();
      remove(index);
    }
  };

  const described = [`${id}-hint`, invalid.length > 0 ? `${id}-invalid` : ''].filter(Boolean).join(' ');
  return (
    <div className="recipients">
      <label htmlFor={id}>Recipients</label>
      <p id={`${id}-hint`} className="meta hint">
        {hint}
      </p>
      <div className="chip-box">
        {value.length > 0 ? (
          <ul className="chips" aria-label="Added addresses">
            {value.map((address, i) => {
              const bad = !isEmailAddress(address);
              return (
                <li key={address} className={bad ? 'chip invalid' : 'chip'}>
                  <span className="chip-text">{address}</span>
                  {bad ? <span className="chip-flag"> (not an email address)</span> : null}
                  <button
                    type="button"
                    className="chip-remove"
                    ref={(el) => {
                      chips.current[i] = el;
                    }}
                    aria-label={`Remove ${address}`}
                    onClick={() => remove(i)}
                    onKeyDown={(e) => onChipKey(e, i)}
                  >
                    ×
                  </button>
                </li>
              );
            })}
          </ul>
        ) : null}
        <input
          id={id}
          ref={input}
          name={TYPED_FIELD}
          type="text"
          inputMode="email"
          autoComplete="off"
          spellCheck={false}
          value={text}
          aria-describedby={described}
          aria-invalid={invalid.length > 0 ? true : undefined}
          onChange={(e) => onInput(e.currentTarget.value)}
          onPaste={onPaste}
          onKeyDown={onKeyDown}
          onBlur={(e: FocusEvent<HTMLInputElement>) => {
            const to = e.relatedTarget;
            if (text.trim() !== '' && !(to instanceof HTMLButtonElement && to.type === 'submit')) {
              add(splitAddresses(text));
              setText('');
            }
          }}
        />
      </div>
      {invalid.length > 0 ? (
        <p id={`${id}-invalid`} className="error">
          {invalid.length === 1 ? `“${invalid[0]!}” is not an email address: correct it or remove it.` : `${String(invalid.length)} entries are not email addresses (${invalid.join(', ')}): correct or remove them.`}
        </p>
      ) : null}
    </div>
  );
}

/** The recipients with what is still typed in the box of `form` (when the form is sent). */
export function withTypedRecipients(value: readonly string[], form: HTMLFormElement): string[] {
  const out = [...value];
  for (const entry of splitAddresses(String(new FormData(form).get(TYPED_FIELD) ?? ''))) {
    if (!out.some((v) => v.toLowerCase() === entry.toLowerCase())) {
      out.push(entry);
    }
  }
  return out;
}
