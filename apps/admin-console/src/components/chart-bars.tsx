/*
 * Small SVG charts, drawn with attributes and classes only (the console's CSP admits no inline
 * styles). They are pictures for sighted readers: each sits in a <figure> whose table says the
 * same numbers, so the SVG itself is hidden from assistive technology.
 */

const WIDTH = 600;
const HEIGHT = 160;
const GAP = 2;

/** Vertical bars, one per value, scaled to the largest (a row of zeros draws baseline ticks). */
export function ColumnChart({ values, label }: { values: readonly number[]; label: string }) {
  const max = Math.max(1, ...values);
  const slot = WIDTH / Math.max(1, values.length);
  return (
    <svg
      className="chart chart-columns"
      viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
      preserveAspectRatio="none"
      aria-hidden="true"
      focusable="false"
      data-label={label}
    >
      <line className="chart-axis" x1={0} y1={HEIGHT - 0.5} x2={WIDTH} y2={HEIGHT - 0.5} />
      {values.map((value, i) => {
        const height = value === 0 ? 0 : Math.max(2, (value / max) * (HEIGHT - 4));
        return (
          <rect
            // Position is the identity of a bucket (the days are consecutive, oldest first).
            key={i}
            className="chart-bar"
            x={i * slot + GAP / 2}
            y={HEIGHT - height}
            width={Math.max(1, slot - GAP)}
            height={height}
          />
        );
      })}
    </svg>
  );
}

/** One horizontal bar split into parts, each its share of the total (class per part). */
export function ShareBar({ parts }: { parts: readonly { key: string; value: number; className: string }[] }) {
  const total = parts.reduce((sum, part) => sum + part.value, 0);
  let x = 0;
  return (
    <svg
      className="chart chart-share"
      viewBox="0 0 1000 24"
      preserveAspectRatio="none"
      aria-hidden="true"
      focusable="false"
    >
      {total === 0 ? (
        <rect className="chart-empty" x={0} y={0} width={1000} height={24} />
      ) : (
        parts.map((part) => {
          const width = (part.value / total) * 1000;
          const rect = (
            <rect key={part.key} className={part.className} x={x} y={0} width={width} height={24} />
          );
          x += width;
          return rect;
        })
      )}
    </svg>
  );
}
