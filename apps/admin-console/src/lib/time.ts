/** Times are shown in the viewer's zone; the exact epoch milliseconds are the element's title. */
const formatter = new Intl.DateTimeFormat(undefined, {
  year: "numeric",
  month: "short",
  day: "2-digit",
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
  // The zone's name tells apart the two instances of a repeated hour (daylight saving ends).
  timeZoneName: "short",
});

export function formatTime(epochMs: number): string {
  return formatter.format(new Date(epochMs));
}

/** `YYYY-MM-DD` (a date input's value) → local midnight in epoch ms; null when not a date. */
export function localDayStart(value: string): number | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!match) return null;
  const [, y, m, d] = match.map(Number) as [number, number, number, number];
  const date = new Date(y, m - 1, d);
  if (date.getFullYear() !== y || date.getMonth() !== m - 1 || date.getDate() !== d) return null;
  return date.getTime();
}

/** The local midnight after the given day: `to` dates are inclusive for people, exclusive for the API. */
export function localDayEnd(value: string): number | null {
  if (localDayStart(value) === null) return null;
  const [y, m, d] = value.split("-").map(Number) as [number, number, number];
  // The next day's own start (not +24 h, nor the same time of day: a midnight may not exist).
  return new Date(y, m - 1, d + 1).getTime();
}
