// One request: its state, history (who did what, why), approval and Ping++ refunds (GET …/refund-requests/{id}),
// and one order's requests and refunds from the ledger (GET /api/orders/{orderId}/refunds), with the actions their states allow.
import { auth, getJson, manage, orders } from './api.js';
import { h, table, tag, yuan, time, requestLink } from './dom.js';
import { ACTIONS, run } from './actions.js';

const enc = encodeURIComponent;

/** The actions a request's state allows (CONTRACT-23: cancel only before Ping++ was reached). */
export function actionsFor(request) {
  switch (request.status) {
    case 'dead_lettered': return (request.attempts ?? 0) === 0 ? ['requeue', 'cancel'] : ['requeue'];
    case 'awaiting_approval': return ['approve', 'deny', 'cancel'];
    case 'received': return ['cancel'];
    default: return [];
  }
}

function actionButtons(request, after) {
  return h('div', { class: 'actions' }, actionsFor(request).map(a =>
    h('button', { type: 'button', 'data-action': a, onclick: async () => { if (await run(a, request)) await after(); } }, ACTIONS[a].title)));
}

function refundsTable(refunds) {
  return table([
    { title: 'Refund', cell: r => h('span', { class: 'mono' }, r.id) },
    { title: 'Status', cell: r => tag(r.status) },
    { title: 'Amount', num: true, cell: r => yuan(r.amount) },
    { title: 'Charge', cell: r => h('span', { class: 'mono' }, r.charge ?? '') },
    { title: 'Failure', cell: r => [r.failure_code, r.failure_message].filter(Boolean).join(': ') },
    { title: 'Succeeded at', cell: r => time(r.time_succeed) },
  ], refunds, 'No Ping++ refund recorded.');
}

export async function renderRequest(view, requestId) {
  const reload = () => renderRequest(view, requestId);
  view.replaceChildren(h('h2', {}, 'Refund request ', h('span', { class: 'mono' }, requestId)), h('p', { class: 'muted' }, 'Loading…'));
  let request;
  try {
    request = await getJson(manage(`/refund-requests/${enc(requestId)}`));
  } catch (e) {
    view.replaceChildren(h('h2', {}, 'Refund request ', h('span', { class: 'mono' }, requestId)),
      h('p', { class: 'error' }, `Not loaded: ${e.status} ${e.code}: ${e.message}`));
    return;
  }

  const approval = request.approval;
  view.replaceChildren(
    h('h2', {}, 'Refund request ', h('span', { class: 'mono' }, request.request_id), ' ', tag(request.status)),
    h('table', { id: 'request-summary' }, h('tbody', {},
      [['Order', request.order_id ? h('a', { href: '#order/' + enc(request.order_id), class: 'mono' }, request.order_id) : ''],
        ['Charge', h('span', { class: 'mono' }, request.charge ?? '')],
        ['Amount (charge)', yuan(request.charge_amount)],
        ['Refunded', yuan(request.amount_refunded)],
        ['Description', request.description ?? ''],
        ['Submitted by', request.submitted_by ?? ''],
        ['Attempts', request.attempts ?? 0],
        ['Last error', request.last_error ?? ''],
        ['Failure', [request.failure_code, request.failure_message].filter(Boolean).join(': ')]]
        .map(([k, v]) => h('tr', {}, h('th', {}, k), h('td', {}, v))))),
    approval ? h('p', { id: 'request-approval' }, `Approval required (${(approval.reasons || []).join(', ')})`,
      approval.decided_by ? `; decided by ${approval.decided_by} at ${time(approval.decided_at)}${approval.reason ? ': ' + approval.reason : ''}` : '; not decided yet') : '',
    h('h3', {}, 'Actions'),
    actionsFor(request).length ? actionButtons(request, reload) : h('p', { class: 'muted' }, 'None apply in this state.'),
    h('h3', {}, 'History'),
    h('div', { id: 'request-history' }, table([
      { title: 'At', cell: e => time(e.at) },
      { title: 'From', cell: e => e.from ? tag(e.from) : h('span', { class: 'muted' }, '—') },
      { title: 'To', cell: e => tag(e.to) },
      { title: 'Actor', cell: e => h('span', { class: 'mono' }, e.actor) },
      { title: 'Reason', cell: e => e.reason ?? '' },
    ], request.history || [], 'No history recorded.')),
    h('h3', {}, 'Ping++ refunds (ledger)'),
    refundsTable(request.refunds || []),
    request.order_id && auth.mode === 'key' ? livePingpp(request.order_id) : '');
}

/** Ping++'s own view of the order, live (an operator route that costs Ping++ calls: on demand only). */
function livePingpp(orderId) {
  const out = h('div', { id: 'pingpp-live' });
  return h('div', {},
    h('button', {
      type: 'button', id: 'pingpp-live-load', onclick: async () => {
        try {
          const live = await getJson(`/api/manage/pingpp/orders/${enc(orderId)}/refunds`);
          out.replaceChildren(h('p', { class: 'muted' }, `Ping++ now (${live.pages_read ?? 1} page(s) read):`), refundsTable(live.refunds || live.data || []));
        } catch (e) {
          out.replaceChildren(h('p', { class: 'error' }, `Ping++ could not be asked: ${e.status} ${e.code}: ${e.message}`));
        }
      },
    }, 'Ask Ping++ now'), out);
}

export async function renderOrder(view, orderId) {
  const input = h('input', { id: 'order-id', value: orderId ?? '', size: 30, spellcheck: 'false' });
  const out = h('div', { id: 'order-result' });
  const open = () => {
    const target = '#order/' + enc(input.value.trim());
    // The same order again: no hashchange, so load it afresh here.
    if (location.hash === target) renderOrder(view, input.value.trim());
    else location.hash = target;
  };
  input.addEventListener('keydown', e => { if (e.key === 'Enter') open(); });
  view.replaceChildren(
    h('h2', {}, 'Order'),
    h('div', { class: 'row' }, h('label', { for: 'order-id' }, 'Order id'), input, h('button', { type: 'button', id: 'order-open', class: 'primary', onclick: open }, 'Open')),
    out);
  if (!orderId) return;
  try {
    const order = await getJson(orders(`/${enc(orderId)}/refunds`));
    const reload = () => renderOrder(view, orderId);
    out.replaceChildren(
      h('h3', {}, 'Requests'),
      table([
        { title: 'Request', cell: r => requestLink(r.request_id) },
        { title: 'Status', cell: r => tag(r.status) },
        { title: 'Amount', num: true, cell: r => yuan(r.charge_amount) },
        { title: 'Attempts', num: true, cell: r => r.attempts ?? 0 },
        { title: 'Last error', cell: r => r.last_error ?? '' },
        { title: 'Actions', cell: r => actionButtons(r, reload) },
      ], (order.requests || []).map(r => ({ ...r, __id: r.request_id })), 'No refund request for this order.'),
      h('h3', {}, 'Ping++ refunds (ledger)'),
      refundsTable(order.refunds || []),
      auth.mode === 'key' ? livePingpp(orderId) : '');
  } catch (e) {
    out.replaceChildren(h('p', { class: 'error' }, `Order not loaded: ${e.status} ${e.code}: ${e.message}`));
  }
}
