import type { MessageTree, TreeField } from '../api.ts';

// The segment/field tree of GET /api/messages/:id/tree as nested <details>: a segment opens onto its
// fields (id, name, value); a field with components or several repetitions opens onto them. Native
// <details>/<summary> is keyboard operable (Tab to a summary, Enter or Space toggles) and announced.

export function MessageTreeView({ tree }: { tree: MessageTree }) {
  return (
    <div class="tree">
      {tree.segments.map((segment) => (
        <details key={segment.index} class="segment">
          <summary>
            <span class="seg-name">{segment.name}</span> {segment.description ?? 'Segment without a known name'}{' '}
            <span class="muted">
              (segment {segment.index}, {segment.fields.length} field{segment.fields.length === 1 ? '' : 's'})
            </span>
          </summary>
          <ul class="fields">
            {segment.fields.map((field) => (
              <li key={field.id}>
                <FieldView field={field} />
              </li>
            ))}
          </ul>
        </details>
      ))}
    </div>
  );
}

function FieldLabel({ id, name, datatype }: { id: string; name: string | null; datatype: string | null }) {
  return (
    <>
      <span class="field-id">{id}</span> <span class="field-name">{name ?? 'Unnamed field'}</span>
      {datatype === null ? null : <span class="muted"> ({datatype})</span>}
    </>
  );
}

function FieldView({ field }: { field: TreeField }) {
  const label = <FieldLabel id={field.id} name={field.name} datatype={field.datatype} />;
  const only = field.repetitions.length === 1 ? field.repetitions[0] : undefined;
  if (only !== undefined && only.components.length === 0) {
    return (
      <div class="leaf">
        {label}: <Value text={only.text} />
      </div>
    );
  }
  return (
    <details>
      <summary>
        {label}: <Value text={field.repetitions.map((r) => r.text).join(' ~ ')} />
      </summary>
      {field.repetitions.length === 1 && only !== undefined ? (
        <Components components={only.components} />
      ) : (
        <ol class="repetitions">
          {field.repetitions.map((rep, i) => (
            <li key={i}>
              {rep.components.length === 0 ? (
                <div class="leaf">
                  Repetition {i + 1}: <Value text={rep.text} />
                </div>
              ) : (
                <details>
                  <summary>
                    Repetition {i + 1}: <Value text={rep.text} />
                  </summary>
                  <Components components={rep.components} />
                </details>
              )}
            </li>
          ))}
        </ol>
      )}
    </details>
  );
}

type Component = TreeField['repetitions'][number]['components'][number];

function Components({ components }: { components: Component[] }) {
  return (
    <ul class="components">
      {components.map((c) =>
        c.subcomponents.length === 0 ? (
          <li key={c.id} class="leaf">
            <FieldLabel id={c.id} name={c.name} datatype={c.datatype} />: <Value text={c.text} />
          </li>
        ) : (
          <li key={c.id}>
            <details>
              <summary>
                <FieldLabel id={c.id} name={c.name} datatype={c.datatype} />: <Value text={c.text} />
              </summary>
              <ul class="components">
                {c.subcomponents.map((s) => (
                  <li key={s.id} class="leaf">
                    <FieldLabel id={s.id} name={s.name} datatype={s.datatype} />: <Value text={s.text} />
                  </li>
                ))}
              </ul>
            </details>
          </li>
        ),
      )}
    </ul>
  );
}

function Value({ text }: { text: string }) {
  return text === '' ? <span class="muted">(empty)</span> : <span class="value">{text}</span>;
}
