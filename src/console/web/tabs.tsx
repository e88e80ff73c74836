import type { ComponentChildren } from 'preact';
import { useRef } from 'preact/hooks';

// WAI-ARIA tabs (the "automatic activation" pattern): Tab enters the tab list on the selected tab,
// arrow keys, Home and End move between tabs, Tab again goes into the panel.

export type Tab = { id: string; label: string };

export function Tabs({ label, tabs, selected, onSelect, children }: { label: string; tabs: Tab[]; selected: string; onSelect(id: string): void; children: ComponentChildren }) {
  const list = useRef<HTMLDivElement>(null);
  const move = (index: number): void => {
    const count = tabs.length;
    const tab = tabs[((index % count) + count) % count];
    if (tab === undefined) return;
    onSelect(tab.id);
    list.current?.querySelector<HTMLButtonElement>(`#tab-${tab.id}`)?.focus();
  };
  const current = tabs.findIndex((t) => t.id === selected);
  return (
    <div class="tabs">
      <div
        role="tablist"
        aria-label={label}
        ref={list}
        onKeyDown={(e) => {
          const keys: Record<string, number> = { ArrowRight: current + 1, ArrowLeft: current - 1, Home: 0, End: tabs.length - 1 };
          const target = keys[e.key];
          if (target === undefined) return;
          e.preventDefault();
          move(target);
        }}
      >
        {tabs.map((tab) => (
          <button
            type="button"
            role="tab"
            key={tab.id}
            id={`tab-${tab.id}`}
            aria-selected={tab.id === selected}
            aria-controls={`panel-${tab.id}`}
            tabIndex={tab.id === selected ? 0 : -1}
            onClick={() => onSelect(tab.id)}
          >
            {tab.label}
          </button>
        ))}
      </div>
      <div role="tabpanel" id={`panel-${selected}`} aria-labelledby={`tab-${selected}`} tabIndex={0} class="tabpanel">
        {children}
      </div>
    </div>
  );
}
