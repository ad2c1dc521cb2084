import { useRef, type KeyboardEvent, type ReactNode } from 'react';

export type PolicyView = 'form' | 'yaml';

const VIEWS: ReadonlyArray<{ readonly view: PolicyView; readonly label: string }> = [
  { view: 'form', label: 'Form' },
  { view: 'yaml', label: 'YAML' },
];

export const panelId = (view: PolicyView): string => `policy-panel-${view}`;
const tabId = (view: PolicyView): string => `policy-tab-${view}`;

/** The two views of the same document, as tabs (arrow keys move between them). */
export function ViewTabs({ view, onSelect }: { view: PolicyView; onSelect: (view: PolicyView) => boolean }) {
  const tabs = useRef<Array<HTMLButtonElement | null>>([]);
  const onKey = (e: KeyboardEvent<HTMLButtonElement>, index: number): void => {
    const step = e.key === 'ArrowRight' ? 1 : e.key === 'ArrowLeft' ? -1 : 0;
    if (step !== 0 || e.key === 'Home' || e.key === 'End') {
      e.preventDefault();
      const next = e.key === 'Home' ? 0 : e.key === 'End' ? VIEWS.length - 1 : (index + step + VIEWS.length) % VIEWS.length;
      // A view that cannot be shown yet (YAML that does not parse) keeps the focus where the error is.
      if (onSelect(VIEWS[next]!.view)) {
        tabs.current[next]?.focus();
      }
    }
  };
  return (
    <div role="tablist" aria-label="Edit the policy as" className="view-tabs">
      {VIEWS.map((v, i) => (
        <button
          key={v.view}
          ref={(el) => {
            tabs.current[i] = el;
          }}
          id={tabId(v.view)}
          type="button"
          role="tab"
          aria-selected={view === v.view}
          aria-controls={panelId(v.view)}
          tabIndex={view === v.view ? 0 : -1}
          onClick={() => onSelect(v.view)}
          onKeyDown={(e) => onKey(e, i)}
        >
          {v.label}
        </button>
      ))}
    </div>
  );
}

export function TabPanel({ view, children }: { view: PolicyView; children: ReactNode }) {
  return (
    <div role="tabpanel" id={panelId(view)} aria-labelledby={tabId(view)}>
      {children}
    </div>
  );
}
