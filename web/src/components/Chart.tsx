// A time chart drawn by uPlot on a canvas: x in seconds (shown in the viewer's zone), one or two y scales.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { useEffect, useRef } from 'preact/hooks';
import { formatCompact, formatTime } from '../format';

export interface ChartSeries {
  label: string;
  values: (number | null)[];
  /** A CSS custom property of styles.css holding the colour (`--chart-1`). */
  color: string;
  /** Second y axis, on the right. */
  right?: boolean;
}

export interface ChartProps {
  /** Instants, in seconds since the epoch. */
  x: number[];
  series: ChartSeries[];
  /** What the chart shows, for screen readers and the data table's caption. */
  label: string;
  /** The window shown (seconds), so a partial window reads as such. */
  range?: [number, number];
  height?: number;
  /** How the data table writes the instants. */
  step?: 'minute' | 'hour' | 'day';
}

function cssVar(name: string, fallback: string): string {
  if (typeof getComputedStyle === 'undefined') return fallback;
  const value = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return value || fallback;
}

/**
 * Labels of the time axis in the viewer's zone, 24-hour clock: "13:00", with the date under the first tick and
 * under each midnight; days alone ("27 Nov") when ticks are a day or more apart.
 */
export function timeTicks(splits: number[], timeZone?: string): string[] {
  const daily = splits.length > 1 && splits[1] - splits[0] >= 86_400;
  let lastDay = '';
  return splits.map((v) => {
    const date = new Date(v * 1000);
    const day = formatTime(date, 'date', { timeZone }).replace(/ \d{4}$/, '');
    if (daily) return day;
    const time = formatTime(date, 'time', { timeZone });
    const label = day !== lastDay ? `${time}\n${day}` : time;
    lastDay = day;
    return label;
  });
}

function summary(props: ChartProps): string {
  const parts = props.series.map((s) => {
    const values = s.values.filter((v): v is number => v != null);
    if (values.length === 0) return `${s.label}: no data`;
    const last = values[values.length - 1];
    return `${s.label}: latest ${formatCompact(last)}, highest ${formatCompact(Math.max(...values))}, lowest ${formatCompact(Math.min(...values))}`;
  });
  return `${props.label}. ${props.x.length} points. ${parts.join('; ')}.`;
}

export function Chart(props: ChartProps) {
  const box = useRef<HTMLDivElement>(null);
  const { x, series, range, height = 260 } = props;

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const text = cssVar('--muted', '#666');
    const grid = cssVar('--grid', '#e5e5e5');
    const dense = x.length > 90;
    const opts: uPlot.Options = {
      width: Math.max(200, el.clientWidth),
      height,
      // Points stay visible while there are few of them (a fresh hour has one).
      cursor: { drag: { x: false, y: false } },
      legend: { live: true },
      scales: {
        x: { time: true, ...(range ? { range: () => range } : {}) },
        y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.08 : 1] },
        // More headroom on the right scale, so a second series does not sit on top of the first.
        y2: { range: (_u, _min, max) => [0, max > 0 ? max * 1.5 : 1] },
      },
      axes: [
        { stroke: text, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid }, values: (_u, splits) => timeTicks(splits) },
        {
          stroke: text,
          grid: { stroke: grid, width: 1 },
          ticks: { stroke: grid },
          size: 56,
          values: (_u, splits) => splits.map((v) => formatCompact(v)),
        },
        ...(series.some((s) => s.right)
          ? [
              {
                scale: 'y2',
                side: 1 as const,
                stroke: text,
                grid: { show: false },
                size: 56,
                values: (_u: uPlot, splits: number[]) => splits.map((v) => formatCompact(v)),
              },
            ]
          : []),
      ],
      series: [
        { label: 'Time', value: (_u, v) => (v == null ? '–' : formatTime(new Date(v * 1000), 'hour')) },
        ...series.map((s) => {
          const color = cssVar(s.color, '#6441a5');
          return {
            label: s.label,
            scale: s.right ? 'y2' : 'y',
            stroke: color,
            width: 2,
            fill: s.right ? undefined : `${color}22`,
            spanGaps: false,
            points: { show: !dense, size: 6, fill: color, stroke: color },
            value: (_u: uPlot, v: number | null) => (v == null ? '–' : formatCompact(v)),
          };
        }),
      ],
      hooks: {
        draw: [
          (u) => {
            el.dataset.drawn = String(Number(el.dataset.drawn ?? 0) + 1);
            el.dataset.points = String(u.data[0].length);
          },
        ],
      },
    };
    const data = [x, ...series.map((s) => s.values)] as uPlot.AlignedData;
    const plot = new uPlot(opts, data, el);
    const resize = new ResizeObserver(() => {
      const width = Math.max(200, el.clientWidth);
      if (width !== plot.width) plot.setSize({ width, height });
    });
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.destroy();
      delete el.dataset.drawn;
    };
  }, [x, series, range?.[0], range?.[1], height]);

  return (
    <figure class="chart">
      <div ref={box} class="chart-canvas" role="img" aria-label={summary(props)} data-chart />
      <details class="chart-table">
        <summary>Data table</summary>
        <div class="table-wrap">
          <table>
            <caption>{props.label}</caption>
            <thead>
              <tr>
                <th scope="col">Time</th>
                {series.map((s) => (
                  <th scope="col" key={s.label}>
                    {s.label}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {x.map((t, i) => (
                <tr key={t}>
                  <th scope="row">
                    {formatTime(new Date(t * 1000), props.step === 'day' ? 'date' : props.step === 'minute' ? 'datetime' : 'hour')}
                  </th>
                  {series.map((s) => (
                    <td key={s.label}>{formatCompact(s.values[i])}</td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </figure>
  );
}
