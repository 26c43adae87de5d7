// @ts-check
/** Leads per hour by source: a uPlot line chart, plus the same figures as tables. */
import { el, replaceChildren } from './render.js';

const COLOURS = ['#2563eb', '#dc2626', '#16a34a', '#d97706', '#7c3aed', '#0891b2', '#db2777'];

/**
 * @typedef {{ date: string, total: number, hours: number[] }} HourlyDay
 * @typedef {{ id: number, displayName: string, sourceType: string, days: HourlyDay[] }} SourceHourly
 * @typedef {{ timezone: string, days: string[], sources: SourceHourly[] }} LeadsPerHour
 */

/** @type {import('uplot') | null} */
let chart = null;

/**
 * @param {HTMLElement} container
 * @param {LeadsPerHour} data
 */
export function renderLeadsChart(container, data) {
  const labels = data.days.flatMap((date) =>
    Array.from({ length: 24 }, (_, hour) => `${date.slice(5)} ${String(hour).padStart(2, '0')}h`),
  );
  const x = labels.map((_, index) => index);
  const series = data.sources.map((source) => source.days.flatMap((day) => day.hours));
  const width = Math.max(240, container.clientWidth);
  const options = {
    width,
    height: width < 500 ? 200 : 260,
    scales: { x: { time: false } },
    legend: { show: true },
    axes: [
      {
        // A tick every 6 hours (12 on a phone): the day at midnight, the hour otherwise.
        splits: () => x.filter((index) => index % (width < 500 ? 12 : 6) === 0),
        values: (/** @type {unknown} */ _u, /** @type {number[]} */ ticks) =>
          ticks.map((tick) =>
            tick % 24 === 0 ? (labels[tick] ?? '').slice(0, 5) : `${tick % 24}h`,
          ),
      },
      { label: 'leads' },
    ],
    series: [
      {
        label: 'hour',
        value: (/** @type {unknown} */ _u, /** @type {number} */ i) => labels[i] ?? '',
      },
      ...data.sources.map((source, index) => ({
        label: source.displayName,
        stroke: COLOURS[index % COLOURS.length],
        width: 2,
      })),
    ],
  };
  chart?.destroy();
  chart = null;
  if (data.sources.length === 0) {
    replaceChildren(container, [el('p', { class: 'muted' }, 'No leads yesterday or today.')]);
    return;
  }
  container.replaceChildren();
  // uPlot comes from its own script (uPlot.iife.min.js), loaded before this module runs.
  const { uPlot } = /** @type {{ uPlot: typeof import('uplot') }} */ (
    /** @type {unknown} */ (window)
  );
  chart = new uPlot(options, [x, ...series], container);
}

/** Keeps the chart as wide as its card on a phone turned sideways or a resized window. */
export function resizeLeadsChart(/** @type {HTMLElement} */ container) {
  if (chart) chart.setSize({ width: Math.max(240, container.clientWidth), height: chart.height });
}

/**
 * Yesterday's and today's totals per source; the same numbers the chart draws.
 * @param {HTMLElement} tbody
 * @param {LeadsPerHour} data
 */
export function renderLeadsTotals(tbody, data) {
  replaceChildren(
    tbody,
    data.sources.map((source) =>
      el(
        'tr',
        { 'data-source-id': String(source.id) },
        el('td', {}, source.displayName),
        ...source.days
          .slice(-2)
          .map((day, index, days) =>
            el(
              'td',
              { class: index === days.length - 1 ? 'today' : 'yesterday', 'data-date': day.date },
              day.total,
            ),
          ),
      ),
    ),
  );
}

/**
 * Every hour with a lead, one column per source: the chart as a table (screen readers, copying).
 * @param {HTMLElement} table
 * @param {LeadsPerHour} data
 */
export function renderLeadsHours(table, data) {
  const head = el(
    'tr',
    {},
    el('th', {}, 'Day'),
    el('th', {}, 'Hour'),
    ...data.sources.map((source) => el('th', {}, source.displayName)),
  );
  const rows = [];
  for (const [dayIndex, date] of data.days.entries()) {
    for (let hour = 0; hour < 24; hour++) {
      const counts = data.sources.map((source) => source.days[dayIndex]?.hours[hour] ?? 0);
      if (counts.every((count) => count === 0)) continue;
      rows.push(
        el(
          'tr',
          { 'data-date': date, 'data-hour': String(hour) },
          el('td', {}, date),
          el('td', {}, `${String(hour).padStart(2, '0')}:00`),
          ...counts.map((count, index) =>
            el('td', { 'data-source-id': String(data.sources[index].id) }, count),
          ),
        ),
      );
    }
  }
  replaceChildren(table, [el('thead', {}, head), el('tbody', {}, ...rows)]);
}
