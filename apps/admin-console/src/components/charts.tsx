import { AxisBottom, AxisLeft, type TickRendererProps } from "@visx/axis";
import { Group } from "@visx/group";
import { scaleBand, scaleLinear } from "@visx/scale";
import { Bar } from "@visx/shape";

/*
 * The overview's charts, drawn with visx (scales, axes, bars). Attributes and classes only: the
 * console's CSP admits no inline styles, so colours and type come from styles.css (CSS overrides
 * the presentation attributes visx sets). They are pictures for sighted readers: each sits next to
 * a table with the same numbers, so the SVG itself is hidden from assistive technology.
 */

const number = new Intl.NumberFormat();
/** A UTC calendar day as people read dates, without moving it into another zone. */
const utcDay = new Intl.DateTimeFormat(undefined, { month: "short", day: "numeric", timeZone: "UTC" });

const WIDTH = 900;
const HEIGHT = 220;
const MARGIN = { top: 10, right: 16, bottom: 28, left: 44 };
/** Label every 7th day, counting back from the newest (which is always labelled). */
const LABEL_EVERY = 7;

function LeftTick({ x, y, formattedValue }: TickRendererProps) {
  return (
    <text x={x} y={y} dx={-4} dy="0.32em" textAnchor="end" className="chart-tick-label">
      {formattedValue}
    </text>
  );
}

function BottomTick({ x, y, formattedValue }: TickRendererProps) {
  return (
    <text x={x} y={y} dy="0.2em" textAnchor="middle" className="chart-tick-label">
      {formattedValue}
    </text>
  );
}

/**
 * Hubs per UTC day as columns, oldest first: a y axis with a few whole-number ticks and an x axis
 * labelling every 7th day (a row of zeros draws an empty chart on its axes).
 */
export function ColumnChart({
  days,
}: {
  days: readonly { readonly date: string; readonly start: number; readonly count: number }[];
}) {
  const innerWidth = WIDTH - MARGIN.left - MARGIN.right;
  const innerHeight = HEIGHT - MARGIN.top - MARGIN.bottom;
  const x = scaleBand<string>({
    domain: days.map((day) => day.date),
    range: [0, innerWidth],
    padding: 0.15,
  });
  const max = Math.max(1, ...days.map((day) => day.count));
  const y = scaleLinear<number>({ domain: [0, max], range: [innerHeight, 0], nice: true });
  const yTicks = y.ticks(Math.min(4, max)).filter((tick) => Number.isInteger(tick));
  const startOf = new Map(days.map((day) => [day.date, day.start]));
  const xTicks = days.filter((_, i) => (days.length - 1 - i) % LABEL_EVERY === 0).map((day) => day.date);

  return (
    <svg
      className="chart chart-columns"
      viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
      aria-hidden="true"
      focusable="false"
    >
      <Group left={MARGIN.left} top={MARGIN.top}>
        {yTicks.map((tick) => (
          <line key={tick} className="chart-grid" x1={0} x2={innerWidth} y1={y(tick)} y2={y(tick)} />
        ))}
        {days.map((day) => {
          const top = y(day.count);
          // A non-zero day stays visible (at least 2 units tall) however large the busiest day.
          const height = day.count === 0 ? 0 : Math.max(2, innerHeight - top);
          return (
            <Bar
              key={day.date}
              className="chart-bar"
              x={x(day.date) ?? 0}
              y={innerHeight - height}
              width={x.bandwidth()}
              height={height}
            />
          );
        })}
        <AxisLeft
          scale={y}
          tickValues={yTicks}
          tickFormat={(value) => number.format(Number(value))}
          tickLength={4}
          axisClassName="chart-axis"
          tickComponent={LeftTick}
        />
        <AxisBottom
          scale={x}
          top={innerHeight}
          tickValues={xTicks}
          tickFormat={(date) => utcDay.format(startOf.get(date) ?? 0)}
          tickLength={4}
          axisClassName="chart-axis"
          tickComponent={BottomTick}
        />
      </Group>
    </svg>
  );
}

/** One horizontal bar split into parts, each its share of the total (class per part). */
export function ShareBar({ parts }: { parts: readonly { key: string; value: number; className: string }[] }) {
  const total = parts.reduce((sum, part) => sum + part.value, 0);
  const x = scaleLinear<number>({ domain: [0, Math.max(1, total)], range: [0, 1000] });
  let before = 0;
  return (
    <svg
      className="chart chart-share"
      viewBox="0 0 1000 24"
      preserveAspectRatio="none"
      aria-hidden="true"
      focusable="false"
    >
      {total === 0 ? (
        <Bar className="chart-empty" x={0} y={0} width={1000} height={24} />
      ) : (
        parts.map((part) => {
          const bar = (
            <Bar
              key={part.key}
              className={part.className}
              x={x(before)}
              y={0}
              width={x(before + part.value) - x(before)}
              height={24}
            />
          );
          before += part.value;
          return bar;
        })
      )}
    </svg>
  );
}
