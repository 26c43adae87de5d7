// @ts-check
/** The operator console: sign-in, then deliveries, sync, leads per hour and missed calls. */
import { api, setCsrfToken, whenSignedOut } from './api.js';
import {
  renderLeadsChart,
  renderLeadsHours,
  renderLeadsTotals,
  resizeLeadsChart,
} from './leads-chart.js';
import { byId, el, formatDuration, formatTime, formatValue, replaceChildren } from './render.js';

/**
 * The shapes of the internal API's answers this page reads.
 * @typedef {{ csrfToken: string, expiresAt: string }} Session
 * @typedef {{ id: number, receivedAt: string, httpStatus: number, errorCode?: string | null,
 *   outcome?: string | null, callId?: string | null, bodyStored?: boolean }} Delivery
 * @typedef {{ items: Delivery[] }} DeliveryPage
 * @typedef {{ success: boolean, outcome?: string, callId?: string, leadId?: number | null,
 *   code?: string }} ReplayAnswer
 * @typedef {{ id: number, trigger: string, status: string, startedAt: string,
 *   finishedAt: string | null, records: number, error: string | null }} SyncRun
 * @typedef {Record<string, unknown>} SyncStatus
 * @typedef {{ status: string, records: number, outcomes: Record<string, number> }} RunSummary
 * @typedef {{ inCallLog: number, stored: number, missingLocally: string[],
 *   absentFromCallLog: string[] }} ReconcileReport
 * @typedef {import('./leads-chart.js').LeadsPerHour} LeadsPerHour
 * @typedef {{ phone: string, phoneE164?: string | null, attempts: number, lastMissedAt: string,
 *   waitingSeconds: number | null,
 *   lead?: { fullName: string, status: string, assignedTo?: string | null } | null }} MissedCall
 * @typedef {{ items: MissedCall[] }} MissedPage
 */

const FAST_REFRESH_MS = 5000;
const SLOW_REFRESH_MS = 30000;
/** Sync status fields shown in their own words; any other field is listed as it comes. */
const SYNC_FIELDS = /** @type {const} */ ([
  ['enabled', 'Polling enabled'],
  ['configured', 'Credentials configured'],
  ['intervalSeconds', 'Interval'],
  ['watermark', 'Watermark'],
  ['lagSeconds', 'Lag'],
  ['running', 'Running'],
  ['leaseOwner', 'Lease owner'],
]);
const SYNC_RUNS = /** @type {const} */ ([
  ['lastRun', 'Last run'],
  ['lastSuccess', 'Last success'],
  ['lastFailure', 'Last failure'],
]);

/** @type {number[]} */
let timers = [];

async function start() {
  whenSignedOut(showSignIn);
  byId('sign-in-form').addEventListener('submit', (event) => {
    event.preventDefault();
    void signIn();
  });
  byId('sign-out').addEventListener('click', () => void signOut());
  byId('poll-now').addEventListener('click', () => void pollNow());
  byId('reconcile-form').addEventListener('submit', (event) => {
    event.preventDefault();
    void reconcile();
  });
  byId('delivery-filter').addEventListener('change', () => void refreshDeliveries());
  window.addEventListener('resize', () => resizeLeadsChart(byId('leads-chart')));

  /** @type {import('./api.js').ApiAnswer<Session>} */
  const session = await api('GET', '/console/session');
  if (session.status === 200) showDashboard(session.body);
  else showSignIn();
}

async function signIn() {
  const input = /** @type {HTMLInputElement} */ (byId('key'));
  /** @type {import('./api.js').ApiAnswer<Session>} */
  const answer = await api('POST', '/console/session', { key: input.value });
  input.value = '';
  if (answer.status !== 200) {
    byId('sign-in-error').textContent =
      answer.status === 401 ? 'That is not one of the internal API keys.' : answer.refusal;
    return;
  }
  byId('sign-in-error').textContent = '';
  showDashboard(answer.body);
}

async function signOut() {
  await api('DELETE', '/console/session');
  showSignIn();
}

function showSignIn() {
  for (const timer of timers) clearInterval(timer);
  timers = [];
  setCsrfToken('');
  byId('dashboard').hidden = true;
  byId('sign-out').hidden = true;
  byId('session-info').textContent = '';
  byId('sign-in').hidden = false;
  byId('key').focus();
}

/** @param {Session} session */
function showDashboard(session) {
  setCsrfToken(session.csrfToken);
  byId('sign-in').hidden = true;
  byId('dashboard').hidden = false;
  byId('sign-out').hidden = false;
  byId('session-info').textContent = `Signed in until ${formatTime(session.expiresAt)}`;
  const day = /** @type {HTMLInputElement} */ (byId('reconcile-day'));
  if (!day.value) day.value = localDate(new Date());
  const fast = () => Promise.all([refreshDeliveries(), refreshSync()]);
  const slow = () => Promise.all([refreshLeads(), refreshMissed()]);
  void fast();
  void slow();
  timers = [
    window.setInterval(() => document.hidden || void fast(), FAST_REFRESH_MS),
    window.setInterval(() => document.hidden || void slow(), SLOW_REFRESH_MS),
  ];
}

async function refreshDeliveries() {
  const status = /** @type {HTMLSelectElement} */ (byId('delivery-filter')).value;
  const query = new URLSearchParams({ limit: '25' });
  if (status) query.set('status', status);
  /** @type {import('./api.js').ApiAnswer<DeliveryPage>} */
  const answer = await api('GET', `/webhooks/knowlarity/deliveries?${query}`);
  const tbody = /** @type {HTMLElement} */ (byId('deliveries-table').querySelector('tbody'));
  if (answer.status !== 200) {
    replaceChildren(tbody, [el('tr', {}, el('td', { colspan: '6' }, answer.refusal))]);
    return;
  }
  replaceChildren(tbody, answer.body.items.map(deliveryRow));
  byId('deliveries-updated').textContent = `updated ${new Date().toLocaleTimeString()}`;
}

/** @param {Delivery} delivery */
function deliveryRow(delivery) {
  const accepted = delivery.httpStatus >= 200 && delivery.httpStatus < 300;
  const replay = el('button', { type: 'button', class: 'small' }, 'Replay');
  replay.addEventListener('click', () => void replayDelivery(delivery.id, false));
  return el(
    'tr',
    { 'data-delivery-id': String(delivery.id), class: accepted ? 'ok' : 'refused' },
    el('td', {}, delivery.id),
    el('td', {}, formatTime(delivery.receivedAt)),
    el('td', { class: 'status' }, delivery.httpStatus),
    el('td', { class: 'code' }, delivery.errorCode ?? delivery.outcome ?? '—'),
    el('td', { class: 'call-id' }, delivery.callId ?? '—'),
    el('td', {}, delivery.bodyStored === false ? '' : replay),
  );
}

/**
 * @param {number} id
 * @param {boolean} force a delivery refused for its token, address or signature needs it
 */
async function replayDelivery(id, force) {
  const result = byId('replay-result');
  const path = `/webhooks/knowlarity/deliveries/${id}/replay${force ? '?force=true' : ''}`;
  /** @type {import('./api.js').ApiAnswer<ReplayAnswer>} */
  const answer = await api('POST', path);
  if (answer.ok && answer.body?.success) {
    replaceChildren(result, [
      `Replay of #${id}: ${answer.body.outcome}, call ${answer.body.callId}` +
        (answer.body.leadId ? `, lead ${answer.body.leadId}` : ''),
    ]);
  } else {
    /** @type {(Node | string)[]} */
    const parts = [`Replay of #${id} refused (${answer.status} ${answer.refusal})`];
    if (answer.body?.code === 'replay_needs_force') {
      const again = el('button', { type: 'button', class: 'small danger' }, 'Replay anyway');
      again.addEventListener('click', () => void replayDelivery(id, true));
      parts.push(' ', again);
    }
    replaceChildren(result, parts);
  }
  result.setAttribute('data-delivery-id', String(id));
  result.setAttribute('data-status', String(answer.status));
  await refreshDeliveries();
}

async function refreshSync() {
  /** @type {import('./api.js').ApiAnswer<SyncStatus>} */
  const answer = await api('GET', '/sync/knowlarity');
  const list = byId('sync-status');
  if (answer.status !== 200) {
    replaceChildren(list, [el('dd', {}, answer.refusal)]);
    return;
  }
  const status = answer.body;
  /** @type {HTMLElement[]} */
  const facts = [];
  const fact = (/** @type {string} */ label, /** @type {string} */ value, key = '') =>
    facts.push(el('dt', {}, label), el('dd', key ? { 'data-field': key } : {}, value));
  for (const [key, label] of SYNC_FIELDS) {
    if (!(key in status)) continue;
    const value = status[key];
    if (key === 'lagSeconds' || key === 'intervalSeconds') {
      fact(label, formatDuration(typeof value === 'number' ? value : null), key);
    } else fact(label, formatValue(value), key);
  }
  for (const [key, label] of SYNC_RUNS) {
    const run = /** @type {SyncRun | null | undefined} */ (status[key]);
    fact(label, run ? describeRun(run) : '—', key);
  }
  /** @type {Set<string>} */
  const known = new Set([...SYNC_FIELDS, ...SYNC_RUNS].map(([key]) => key));
  for (const [key, value] of Object.entries(status)) {
    if (!known.has(key)) fact(key, formatValue(value), key);
  }
  replaceChildren(list, facts);
}

/** @param {SyncRun} run */
function describeRun(run) {
  const when = formatTime(run.finishedAt ?? run.startedAt);
  const error = run.error ? ` — ${run.error}` : '';
  return `#${run.id} ${run.trigger} ${run.status} at ${when}, ${run.records} records${error}`;
}

async function pollNow() {
  const result = byId('sync-result');
  result.textContent = 'Polling…';
  /** @type {import('./api.js').ApiAnswer<RunSummary>} */
  const answer = await api('POST', '/sync/knowlarity/run');
  result.textContent =
    answer.status === 200
      ? `Poll ${answer.body.status}: ${answer.body.records} records, ${JSON.stringify(answer.body.outcomes)}`
      : `Poll refused or failed (${answer.status} ${answer.refusal})`;
  await refreshSync();
}

async function reconcile() {
  const day = /** @type {HTMLInputElement} */ (byId('reconcile-day')).value;
  const result = byId('sync-result');
  result.textContent = `Reconciling ${day}…`;
  const query = new URLSearchParams({ from: day, to: day });
  /** @type {import('./api.js').ApiAnswer<ReconcileReport>} */
  const answer = await api('GET', `/sync/knowlarity/reconcile?${query}`);
  if (answer.status !== 200) {
    result.textContent = `Reconcile of ${day} refused or failed (${answer.status} ${answer.refusal})`;
    return;
  }
  const report = answer.body;
  replaceChildren(result, [
    el(
      'p',
      {},
      `${day}: ${report.inCallLog} calls in Knowlarity's log, ${report.stored} stored here; ` +
        `${report.missingLocally.length} missing here, ${report.absentFromCallLog.length} absent from the log.`,
    ),
    ...(report.missingLocally.length
      ? [el('p', { class: 'muted' }, `Missing: ${report.missingLocally.join(', ')}`)]
      : []),
  ]);
}

async function refreshLeads() {
  /** @type {import('./api.js').ApiAnswer<LeadsPerHour>} */
  const answer = await api('GET', '/sources/leads-per-hour?days=2');
  if (answer.status !== 200) {
    replaceChildren(byId('leads-chart'), [el('p', { class: 'error' }, answer.refusal)]);
    return;
  }
  byId('leads-timezone').textContent = `(${answer.body.timezone})`;
  renderLeadsChart(byId('leads-chart'), answer.body);
  renderLeadsTotals(
    /** @type {HTMLElement} */ (byId('leads-table').querySelector('tbody')),
    answer.body,
  );
  renderLeadsHours(byId('leads-hours'), answer.body);
}

async function refreshMissed() {
  const body = byId('missed-body');
  /** @type {import('./api.js').ApiAnswer<MissedPage>} */
  const answer = await api('GET', '/calls/missed?returned=false&limit=25');
  if (answer.status === 404) {
    replaceChildren(body, [el('p', { class: 'muted' }, 'Not available on this server yet.')]);
    return;
  }
  if (answer.status !== 200) {
    replaceChildren(body, [el('p', { class: 'error' }, answer.refusal)]);
    return;
  }
  if (answer.body.items.length === 0) {
    replaceChildren(body, [el('p', { class: 'muted' }, 'Every missed call has been returned.')]);
    return;
  }
  const head = el(
    'tr',
    {},
    ...['Phone', 'Lead', 'Assigned to', 'Attempts', 'Last missed', 'Waiting'].map((title) =>
      el('th', {}, title),
    ),
  );
  const rows = answer.body.items.map((item) =>
    el(
      'tr',
      {},
      el('td', {}, item.phoneE164 ?? item.phone),
      el('td', {}, item.lead ? `${item.lead.fullName} (${item.lead.status})` : '—'),
      el('td', {}, item.lead?.assignedTo ?? '—'),
      el('td', {}, item.attempts),
      el('td', {}, formatTime(item.lastMissedAt)),
      el('td', {}, formatDuration(item.waitingSeconds)),
    ),
  );
  replaceChildren(body, [
    el(
      'div',
      { class: 'scroll' },
      el('table', {}, el('thead', {}, head), el('tbody', {}, ...rows)),
    ),
  ]);
}

/** @param {Date} date YYYY-MM-DD in the browser's time zone */
function localDate(date) {
  const pad = (/** @type {number} */ n) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

void start();
