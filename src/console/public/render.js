// @ts-check
/** DOM helpers: text only (never HTML from data), so nothing the service stores can run here. */

/**
 * @param {string} tag
 * @param {Record<string, string>} [attributes]
 * @param {(Node | string | number | null | undefined)[]} children
 * @returns {HTMLElement}
 */
export function el(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
  for (const child of children) {
    if (child === null || child === undefined) continue;
    element.append(typeof child === 'object' ? child : String(child));
  }
  return element;
}

/**
 * @param {string} id
 * @returns {HTMLElement}
 */
export function byId(id) {
  const element = document.getElementById(id);
  if (!element) throw new Error(`The page has no #${id}`);
  return element;
}

/**
 * @param {Element} parent
 * @param {(Node | string)[]} children
 */
export function replaceChildren(parent, children) {
  parent.replaceChildren(...children);
}

/** @param {string | null | undefined} iso */
export function formatTime(iso) {
  if (!iso) return '—';
  const date = new Date(iso);
  return Number.isNaN(date.getTime())
    ? iso
    : date.toLocaleString(undefined, { dateStyle: 'short', timeStyle: 'medium' });
}

/** @param {number | null | undefined} seconds */
export function formatDuration(seconds) {
  if (seconds === null || seconds === undefined) return '—';
  if (seconds < 90) return `${seconds} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  if (seconds < 172800) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 86400)} days`;
}

/**
 * A value of unknown shape (a new field in a status) as short text.
 * @param {unknown} value
 */
export function formatValue(value) {
  if (value === null || value === undefined) return '—';
  if (typeof value === 'string') {
    return /^\d{4}-\d\d-\d\dT/.test(value) ? formatTime(value) : value;
  }
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}
