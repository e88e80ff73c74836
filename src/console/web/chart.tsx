import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import { formatTime } from './widgets.tsx';

// A small uPlot time-series chart with its numbers in a table beside it: a canvas says nothing to a
// screen reader or to axe, the table does. uPlot sizes through its API and styles through the CSSOM
// (el.style), which the console's CSP (style-src 'self') allows; it never writes style attributes.

export type Line = { label: string; values: number[] };

const palette = ['#1f5fa8', '#b3461b', '#2e7d32', '#6a3d9a', '#8a6d00', '#3b3b3b', '#a01f5a', '#00727a'];
const height = 170;
const tableRows = 10;

export function TimeChart({ title, unit, t, lines }: { title: string; unit: string; t: number[]; lines: Line[] }) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const shape = lines.map((l) => l.label).join('\u0000');

  // A new set of lines needs a new chart; new samples only new data.
  useEffect(() => {
    const el = box.current;
    if (el === null) return;
    const options: uPlot.Options = {
      width: Math.max(200, el.clientWidth),
      height,
      legend: { show: false },
      cursor: { show: false },
      // Always the last hour, ending at the newest sample, however few samples there are yet.
      scales: { x: { time: true, range: (_u, _min, max) => [max - 3600, max] }, y: { range: (_u, min, max) => [0, Math.max(1, max, min)] } },
      axes: [
        { stroke: '#3b3b3b', grid: { stroke: '#e4e4e4' }, ticks: { stroke: '#c8c8c8' }, values: (_u, splits) => splits.map(clock) },
        { stroke: '#3b3b3b', grid: { stroke: '#e4e4e4' }, ticks: { stroke: '#c8c8c8' }, size: 50 },
      ],
      series: [{}, ...lines.map((line, i) => ({ label: line.label, stroke: palette[i % palette.length] ?? '#3b3b3b', width: 2 }))],
    };
    const chart = new uPlot(options, toData(t, lines), el);
    plot.current = chart;
    const resize = new ResizeObserver(() => chart.setSize({ width: Math.max(200, el.clientWidth), height }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      chart.destroy();
      plot.current = null;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps -- `shape` stands for the labels
  }, [shape]);

  useEffect(() => {
    plot.current?.setData(toData(t, lines));
  }, [t, lines]);

  const newest = t.map((time, i) => ({ time, i })).slice(-tableRows).reverse();
  return (
    <figure class="chart">
      <figcaption>{title}</figcaption>
      <div class="chart-canvas" ref={box} aria-hidden="true" />
      <ul class="chart-key" aria-label={`${title}: key`}>
        {lines.map((line, i) => (
          <li key={line.label}>
            <span class="swatch" ref={(el) => el?.style.setProperty('background-color', palette[i % palette.length] ?? '#3b3b3b')} />
            {line.label}
          </li>
        ))}
      </ul>
      <details class="chart-data">
        <summary>Data: {title.toLowerCase()}</summary>
        <table>
          <caption class="visually-hidden">
            {title}, the last {newest.length} samples, newest first ({unit})
          </caption>
          <thead>
            <tr>
              <th scope="col">Time</th>
              {lines.map((line) => (
                <th scope="col" key={line.label}>
                  {line.label}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {newest.map(({ time, i }) => (
              <tr key={time}>
                <th scope="row">{formatTime(new Date(time * 1000).toISOString())}</th>
                {lines.map((line) => (
                  <td key={line.label}>{formatNumber(line.values[i] ?? 0)}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </figure>
  );
}

function toData(t: number[], lines: Line[]): uPlot.AlignedData {
  return [t, ...lines.map((line) => line.values)];
}

/** 24-hour local clock, the one the rest of the console uses. */
function clock(epochSeconds: number): string {
  const date = new Date(epochSeconds * 1000);
  return `${String(date.getHours()).padStart(2, '0')}:${String(date.getMinutes()).padStart(2, '0')}`;
}

export function formatNumber(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(2);
}
