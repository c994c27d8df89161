// The webhook event log (GET …/webhook-events): stored events by type and time; one event raw and re-verified.
import { getJson, manage } from './api.js';
import { h, table, tag, time } from './dom.js';
import { run } from './actions.js';

const enc = encodeURIComponent;

export async function render(view, eventId) {
  if (eventId) return renderEvent(view, eventId);
  const type = h('input', { id: 'events-type', placeholder: 'refund.succeeded', size: 20 });
  const since = h('input', { id: 'events-since', placeholder: '2026-12-01T00:00:00Z', size: 22 });
  const list = h('div', { id: 'events-list' });
  const more = h('button', { type: 'button', hidden: true }, 'More');
  let continuation = null;
  let items = [];
  async function load(reset) {
    const query = new URLSearchParams({ page_size: '50' });
    if (type.value.trim()) query.set('type', type.value.trim());
    if (since.value.trim()) query.set('since', since.value.trim());
    if (!reset && continuation) query.set('continuation', continuation);
    try {
      const page = await getJson(manage('/webhook-events?' + query));
      items = reset ? page.items : items.concat(page.items);
      continuation = page.continuation;
      more.hidden = !continuation;
      list.replaceChildren(table([
        { title: 'Received', cell: e => time(e.received_at) },
        { title: 'Event', cell: e => h('a', { href: '#events/' + enc(e.event_id), class: 'mono' }, e.event_id) },
        { title: 'Type', cell: e => e.type },
        { title: 'Apply status', cell: e => tag(e.apply_status) },
        { title: 'Applied as', cell: e => e.applied_as ?? '' },
        { title: 'Order', cell: e => h('span', { class: 'mono' }, e.order_id ?? '') },
        { title: 'Refund', cell: e => h('span', { class: 'mono' }, e.refund_id ?? '') },
      ], items.map(e => ({ ...e, __id: e.event_id })), 'No stored event matches.'));
    } catch (e) {
      list.replaceChildren(h('p', { class: 'error' }, `Events could not be loaded: ${e.status} ${e.code}: ${e.message}`));
    }
  }
  more.addEventListener('click', () => load(false));
  view.replaceChildren(
    h('h2', {}, 'Webhook events'),
    h('div', { class: 'row' }, h('label', { for: 'events-type' }, 'Type'), type, h('label', { for: 'events-since' }, 'Since'), since,
      h('button', { type: 'button', class: 'primary', onclick: () => load(true) }, 'Show')),
    list, more);
  await load(true);
}

async function renderEvent(view, eventId) {
  view.replaceChildren(h('h2', {}, 'Webhook event ', h('span', { class: 'mono' }, eventId)));
  try {
    const e = await getJson(manage(`/webhook-events/${enc(eventId)}`));
    view.append(
      h('p', {}, tag(e.apply_status), ' ', e.type, ' · received ', time(e.received_at),
        ' · signature ', e.signature_verified ? h('strong', { class: 'tag succeeded' }, 'verified now') : h('strong', { class: 'tag failed' }, 'does NOT verify')),
      e.apply_status === 'pending'
        ? h('button', { type: 'button', 'data-action': 'reapply', onclick: async () => { if (await run('reapply', e)) await renderEvent(view, eventId); } }, 'Re-apply')
        : '',
      h('h3', {}, 'Raw body, exactly as received'),
      h('pre', { class: 'raw' }, e.raw_body ?? ''));
  } catch (err) {
    view.append(h('p', { class: 'error' }, `Not loaded: ${err.status} ${err.code}: ${err.message}`));
  }
}
