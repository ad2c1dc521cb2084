import { useContext, useRef, useState } from 'react';
import type { PolicyDocument } from '../../../api/policy.ts';
import { fieldId, getAt } from './document.ts';
import { formatBytes } from '../../../ui/format.tsx';
import { BytesField, FieldProblems, NumberField, SelectField } from './fields.tsx';
import { GATE_OPTIONS, groupKey, LABELS, ONE_TIME_OPTIONS, OVERRIDE_FIELDS, SECTION_LABELS } from './labels.ts';
import type { SetSetting } from './OrgSections.tsx';

const INHERIT = 'Not overridden (the organisation’s)';

/** One group's stricter-only override: every control starts "not overridden". */
function GroupOverride({ group, doc, set, onRemove }: { group: string; doc: PolicyDocument; set: SetSetting; onRemove: () => void }) {
  const problems = useContext(FieldProblems);
  const override = doc.groups[group] ?? {};
  const at = (field: string): unknown => getAt(override, field.split('.'));
  const to =
    (field: string) =>
    (value: unknown): void =>
      set(['groups', group, ...field.split('.')], value);
  const label = (field: string): string => `${group}: ${LABELS[field]!}`;
  const fkey = (field: string): string => groupKey(group, field);
  const org = (field: string): string => {
    const v = getAt(doc, field.split('.'));
    return `The organisation’s: ${v === null ? 'unlimited' : String(v)}.`;
  };
  const orgBytes = (field: string): string => {
    const v = getAt(doc, field.split('.'));
    return `The organisation’s: ${typeof v === 'number' ? formatBytes(v) : String(v)}.`;
  };
  const inYamlOnly = Object.keys(override).filter((s) => !OVERRIDE_FIELDS.some((f) => f.startsWith(`${s}.`)));
  const groupErrors = problems.get(`groups.${group}`) ?? [];
  const legendId = `${fieldId(`groups.${group}`)}-legend`;
  return (
    <fieldset className="group-override" id={fieldId(`groups.${group}`)} aria-labelledby={legendId}>
      <legend id={legendId}>Group “{group}”</legend>
      {groupErrors.length > 0 ? <p className="error field-error">{groupErrors.join(' ')}</p> : null}
      <div className="override-grid">
        <SelectField fkey={fkey('password.mode')} label={label('password.mode')} options={GATE_OPTIONS} value={at('password.mode')} onChange={to('password.mode')} unset={INHERIT} />
        <NumberField fkey={fkey('password.minLength')} label={label('password.minLength')} value={at('password.minLength')} onChange={to('password.minLength')} empty={undefined} max={1024} suffix="characters" hint={org('password.minLength')} />
        <SelectField fkey={fkey('oneTime.mode')} label={label('oneTime.mode')} options={ONE_TIME_OPTIONS} value={at('oneTime.mode')} onChange={to('oneTime.mode')} unset={INHERIT} />
        <NumberField fkey={fkey('expiry.defaultDays')} label={label('expiry.defaultDays')} value={at('expiry.defaultDays')} onChange={to('expiry.defaultDays')} empty={undefined} max={3650} suffix="days" hint={org('expiry.defaultDays')} />
        <NumberField fkey={fkey('expiry.maxDays')} label={label('expiry.maxDays')} value={at('expiry.maxDays')} onChange={to('expiry.maxDays')} empty={undefined} max={3650} suffix="days" hint={org('expiry.maxDays')} />
        <NumberField fkey={fkey('downloads.default')} label={label('downloads.default')} value={at('downloads.default')} onChange={to('downloads.default')} empty={undefined} max={1_000_000} hint={org('downloads.default')} />
        <NumberField fkey={fkey('downloads.max')} label={label('downloads.max')} value={at('downloads.max')} onChange={to('downloads.max')} empty={undefined} max={1_000_000} hint={org('downloads.max')} />
        <BytesField fkey={fkey('files.maxFileBytes')} label={label('files.maxFileBytes')} value={at('files.maxFileBytes')} onChange={to('files.maxFileBytes')} optional hint={orgBytes('files.maxFileBytes')} />
        <BytesField fkey={fkey('files.maxTotalBytes')} label={label('files.maxTotalBytes')} value={at('files.maxTotalBytes')} onChange={to('files.maxTotalBytes')} optional hint={orgBytes('files.maxTotalBytes')} />
      </div>
      {inYamlOnly.length > 0 ? (
        <p className="meta">{`This group also overrides ${inYamlOnly.map((s) => SECTION_LABELS[s] ?? s).join(', ')}: see the YAML view.`}</p>
      ) : null}
      <button type="button" className="danger-text" onClick={onRemove}>
        Remove group<span className="visually-hidden">{` ${group}`}</span>
      </button>
    </fieldset>
  );
}

/** Stricter-only overrides by IdP group: add a group, set what it tightens, remove it. */
export function GroupOverrides({ doc, set }: { doc: PolicyDocument; set: SetSetting }) {
  const [name, setName] = useState('');
  const [message, setMessage] = useState<string | null>(null);
  const [announce, setAnnounce] = useState('');
  const input = useRef<HTMLInputElement>(null);
  const groups = Object.keys(doc.groups);
  // Problems with the mapping of groups itself (a group name the gateway refuses) are told here.
  const mappingErrors = useContext(FieldProblems).get('groups') ?? [];
  const inputId = fieldId('groups');
  const add = (): void => {
    const group = name.trim();
    if (group === '') {
      setMessage('Type the group’s name as your identity provider sends it.');
    } else if (groups.includes(group)) {
      setMessage(`The group “${group}” already has an override below.`);
    } else {
      set(['groups', group], {});
      setMessage(null);
      setName('');
      setAnnounce(`The group “${group}” is added: choose what it tightens.`);
      return;
    }
    input.current?.focus();
  };
  return (
    <section className="policy-groups" aria-labelledby="policy-groups-title">
      <h2 id="policy-groups-title">Group overrides</h2>
      <p className="meta">
        Members of an identity-provider group (matched exactly, as the provider spells it) can get a stricter policy: a shorter expiry, a longer password,
        fewer downloads, smaller files. A group may never loosen the organisation’s policy; the gateway refuses such an override when you save.
      </p>
      {groups.length === 0 ? <p>No group has an override.</p> : null}
      {groups.map((g) => (
        <GroupOverride
          key={g}
          group={g}
          doc={doc}
          set={set}
          onRemove={() => {
            set(['groups', g], undefined);
            setAnnounce(`The override of the group “${g}” is removed.`);
            input.current?.focus();
          }}
        />
      ))}
      <div className="add-group">
        <label htmlFor={inputId}>Group name</label>
        <div className="with-suffix">
          <input
            id={inputId}
            ref={input}
            type="text"
            autoComplete="off"
            spellCheck={false}
            maxLength={256}
            value={name}
            aria-describedby={message || mappingErrors.length > 0 ? `${inputId}-error` : undefined}
            aria-invalid={message || mappingErrors.length > 0 ? true : undefined}
            onChange={(e) => setName(e.currentTarget.value)}
            onKeyDown={(e) => {
              if (e.key === 'Enter') {
                e.preventDefault();
                add();
              }
            }}
          />
          <button type="button" className="secondary" onClick={add}>
            Add group
          </button>
        </div>
        {message || mappingErrors.length > 0 ? (
          <p id={`${inputId}-error`} className="error">
            {[message, ...mappingErrors].filter(Boolean).join(' ')}
          </p>
        ) : null}
        <p className="visually-hidden" role="status">
          {announce}
        </p>
      </div>
    </section>
  );
}
