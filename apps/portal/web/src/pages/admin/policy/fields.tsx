import { createContext, useContext, useEffect, useState, type ReactNode } from 'react';
import { formatBytes } from '../../../ui/format.tsx';
import { fieldId } from './document.ts';

/** The gateway's messages by field key (`expiry.maxDays`), shown next to their field. */
export const FieldProblems = createContext<ReadonlyMap<string, readonly string[]>>(new Map());

/** The ids and messages a field needs: its id, its hint's, its error's, and aria-describedby. */
function useField(fkey: string, hint: ReactNode | undefined): { id: string; errors: readonly string[]; describedBy: string | undefined } {
  const errors = useContext(FieldProblems).get(fkey) ?? [];
  const id = fieldId(fkey);
  const describedBy = [hint ? `${id}-hint` : '', errors.length > 0 ? `${id}-error` : ''].filter(Boolean).join(' ') || undefined;
  return { id, errors, describedBy };
}

function Hint({ id, hint }: { id: string; hint: ReactNode | undefined }) {
  return hint ? (
    <p id={`${id}-hint`} className="meta hint">
      {hint}
    </p>
  ) : null;
}

function Errors({ id, errors }: { id: string; errors: readonly string[] }) {
  return errors.length > 0 ? (
    <p id={`${id}-error`} className="error field-error">
      {errors.join(' ')}
    </p>
  ) : null;
}

export interface Option {
  readonly value: string;
  readonly label: string;
}

/** A select; `unset` adds a first choice that leaves the setting out (a group override that inherits). */
export function SelectField({
  fkey,
  label,
  options,
  value,
  onChange,
  hint,
  unset,
}: {
  fkey: string;
  label: string;
  options: readonly Option[];
  value: unknown;
  onChange: (value: string | undefined) => void;
  hint?: ReactNode;
  unset?: string;
}) {
  const { id, errors, describedBy } = useField(fkey, hint);
  const current = typeof value === 'string' ? value : '';
  const known = options.some((o) => o.value === current);
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <Hint id={id} hint={hint} />
      <select id={id} value={current} aria-describedby={describedBy} aria-invalid={errors.length > 0 || undefined} onChange={(e) => onChange(e.currentTarget.value === '' ? undefined : e.currentTarget.value)}>
        {unset !== undefined ? <option value="">{unset}</option> : null}
        {/* A value the form does not know (typed in the YAML view) stays visible until the gateway names it. */}
        {!known && current !== '' ? <option value={current}>{current}</option> : null}
        {options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
      <Errors id={id} errors={errors} />
    </div>
  );
}

/**
 * A whole number. Empty means `empty`: null (unlimited), undefined (not overridden), or left as ''
 * for the gateway to refuse by name. Anything typed that is not a number is sent as typed, for the same reason.
 */
export function NumberField({
  fkey,
  label,
  value,
  onChange,
  hint,
  empty,
  min = 1,
  max,
  suffix,
}: {
  fkey: string;
  label: string;
  value: unknown;
  onChange: (value: unknown) => void;
  hint?: ReactNode;
  empty: null | undefined | '';
  min?: number;
  max?: number;
  suffix?: string;
}) {
  const { id, errors, describedBy } = useField(fkey, hint);
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <Hint id={id} hint={hint} />
      <div className="with-suffix">
        <input
          id={id}
          type="number"
          inputMode="numeric"
          min={min}
          max={max}
          step={1}
          className="short"
          placeholder={empty === null ? 'Unlimited' : empty === undefined ? 'Not overridden' : undefined}
          value={typeof value === 'number' || typeof value === 'string' ? String(value) : ''}
          aria-describedby={describedBy}
          aria-invalid={errors.length > 0 || undefined}
          onChange={(e) => {
            const raw = e.currentTarget.value.trim();
            onChange(raw === '' ? empty : Number.isFinite(Number(raw)) ? Number(raw) : raw);
          }}
        />
        {suffix ? <span className="meta suffix">{suffix}</span> : null}
      </div>
      <Errors id={id} errors={errors} />
    </div>
  );
}

export function CheckField({ fkey, label, checked, onChange, hint }: { fkey: string; label: string; checked: boolean; onChange: (on: boolean) => void; hint?: ReactNode }) {
  const { id, errors, describedBy } = useField(fkey, hint);
  return (
    <div className="check-field">
      <input id={id} type="checkbox" checked={checked} aria-describedby={describedBy} aria-invalid={errors.length > 0 || undefined} onChange={(e) => onChange(e.currentTarget.checked)} />
      <label htmlFor={id}>{label}</label>
      <Hint id={id} hint={hint} />
      <Errors id={id} errors={errors} />
    </div>
  );
}

const linesOf = (value: unknown): string[] => (Array.isArray(value) ? value.map(String) : []);
const parseLines = (text: string): string[] =>
  text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');

/** A list, one entry per line; the gateway's messages about an entry name it (`recipients.allowedDomains.2`). */
export function LinesField({ fkey, label, value, onChange, hint }: { fkey: string; label: string; value: unknown; onChange: (value: string[]) => void; hint?: ReactNode }) {
  const problems = useContext(FieldProblems);
  const { id, errors, describedBy } = useField(fkey, hint);
  const entries = linesOf(value);
  const [text, setText] = useState(() => entries.join('\n'));
  // Changed elsewhere (the YAML view, a reload): show the new list; typing keeps its blank lines.
  useEffect(() => {
    if (parseLines(text).join('\n') !== entries.join('\n')) {
      setText(entries.join('\n'));
    }
  }, [entries.join('\n')]);
  const itemErrors = entries.flatMap((entry, i) => (problems.get(`${fkey}.${String(i)}`) ?? []).map((m) => `“${entry}” ${m}.`));
  const all = [...errors, ...itemErrors];
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <Hint id={id} hint={hint} />
      <textarea
        id={id}
        rows={Math.min(8, Math.max(3, entries.length + 1))}
        spellCheck={false}
        autoCapitalize="none"
        value={text}
        aria-describedby={[describedBy, itemErrors.length > 0 && errors.length === 0 ? `${id}-error` : ''].filter(Boolean).join(' ') || undefined}
        aria-invalid={all.length > 0 || undefined}
        onChange={(e) => {
          setText(e.currentTarget.value);
          onChange(parseLines(e.currentTarget.value));
        }}
      />
      <Errors id={id} errors={all} />
    </div>
  );
}

const UNITS = [
  { label: 'KiB', bytes: 1024 },
  { label: 'MiB', bytes: 1024 ** 2 },
  { label: 'GiB', bytes: 1024 ** 3 },
  { label: 'TiB', bytes: 1024 ** 4 },
] as const;

/** The largest unit that shows `bytes` as a whole number, else the largest below it. */
function unitFor(bytes: number): number {
  const exact = [...UNITS].reverse().find((u) => bytes >= u.bytes && bytes % u.bytes === 0);
  return (exact ?? [...UNITS].reverse().find((u) => bytes >= u.bytes) ?? UNITS[1]).bytes;
}

/** A size entered in binary units (MiB, GiB), with the byte value it means shown beside it. */
export function BytesField({ fkey, label, value, onChange, hint, optional }: { fkey: string; label: string; value: unknown; onChange: (value: unknown) => void; hint?: ReactNode; optional?: boolean }) {
  const { id, errors, describedBy } = useField(fkey, hint);
  const bytes = typeof value === 'number' ? value : null;
  const [unit, setUnit] = useState(() => unitFor(bytes ?? 1024 ** 3));
  const [amount, setAmount] = useState(() => (bytes === null ? '' : String(bytes / unit)));
  useEffect(() => {
    if (bytes !== null && Math.round(Number(amount) * unit) !== bytes) {
      const u = unitFor(bytes);
      setUnit(u);
      setAmount(String(bytes / u));
    } else if (bytes === null && value === undefined && amount !== '') {
      setAmount('');
    }
  }, [bytes]);
  const emit = (a: string, u: number): void => {
    const n = Number(a);
    onChange(a.trim() === '' ? (optional ? undefined : '') : Number.isFinite(n) ? Math.round(n * u) : a);
  };
  const described = [describedBy, `${id}-bytes`].filter(Boolean).join(' ');
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <Hint id={id} hint={hint} />
      <div className="with-suffix">
        <input
          id={id}
          type="number"
          inputMode="decimal"
          min={0}
          step="any"
          className="short"
          value={amount}
          aria-describedby={described}
          aria-invalid={errors.length > 0 || undefined}
          onChange={(e) => {
            setAmount(e.currentTarget.value);
            emit(e.currentTarget.value, unit);
          }}
        />
        <select
          aria-label={`Unit of ${label.toLowerCase()}`}
          value={String(unit)}
          onChange={(e) => {
            const u = Number(e.currentTarget.value);
            setUnit(u);
            emit(amount, u);
          }}
        >
          {UNITS.map((u) => (
            <option key={u.label} value={String(u.bytes)}>
              {u.label}
            </option>
          ))}
        </select>
      </div>
      <p id={`${id}-bytes`} className="meta bytes" aria-live="polite">
        {typeof value === 'number' ? `${value.toLocaleString('en')} bytes (${formatBytes(value)})` : optional ? 'Not overridden.' : ''}
      </p>
      <Errors id={id} errors={errors} />
    </div>
  );
}

/** A set of values chosen with one checkbox each, as a group named by `legend`. */
export function ChoicesField({
  fkey,
  legend,
  choices,
  value,
  onChange,
  hint,
}: {
  fkey: string;
  legend: string;
  choices: readonly Option[];
  value: unknown;
  onChange: (value: string[]) => void;
  hint?: ReactNode;
}) {
  const { id, errors, describedBy } = useField(fkey, hint);
  const chosen = Array.isArray(value) ? value.map(String) : [];
  return (
    <fieldset className="choices" id={id} aria-describedby={describedBy} aria-invalid={errors.length > 0 || undefined}>
      <legend>{legend}</legend>
      <Hint id={id} hint={hint} />
      <div className="choice-list">
        {choices.map((c) => (
          <div className="check-field" key={c.value}>
            <input
              id={`${id}-${c.value}`}
              type="checkbox"
              checked={chosen.includes(c.value)}
              onChange={(e) => onChange(e.currentTarget.checked ? [...chosen, c.value] : chosen.filter((v) => v !== c.value))}
            />
            <label htmlFor={`${id}-${c.value}`}>{c.label}</label>
          </div>
        ))}
      </div>
      <Errors id={id} errors={errors} />
    </fieldset>
  );
}
