// Everything that needs a person (GET …/problems), newest first, with the actions that apply to each item.
import { getJson, manage } from './api.js';
import { h, table, tag, yuan, time, requestLink } from './dom.js';
import { ACTIONS, run } from './actions.js';

const KINDS = ['dead_lettered', 'rejected', 'failed', 'stuck', 'awaiting_approval', 'needs_review', 'discrepancy',
  'abnormal_payment', 'unplaced_refund', 'unapplied_webhook'];

export async function render(view) {
  const kind = h('select', { id: 'problem-kind' }, h('option', { value: '' }, 'all kinds'), KINDS.map(k => h('option', { value: k }, k)));
  const reviewed = h('input', { type: 'checkbox', id: 'problem-reviewed' });
  const list = h('div', { id: 'problems-list' });
  const more = h('button', { type: 'button', id: 'problems-more', hidden: true }, 'More');
  let continuation = null;
  let items = [];

  async function load(reset) {
    const query = new URLSearchParams({ page_size: '50' });
    if (kind.value) query.set('kind', kind.value);
    if (reviewed.checked) query.set('include_reviewed', 'true');
    if (!reset && continuation) query.set('continuation', continuation);
    try {
      const page = await getJson(manage('/problems?' + query));
      items = reset ? page.items : items.concat(page.items);
      continuation = page.continuation;
      more.hidden = !continuation;
      draw();
    } catch (e) {
      list.replaceChildren(h('p', { class: 'error' }, `Problems could not be loaded: ${e.status} ${e.code}: ${e.message}`));
    }
  }

  function draw() {
    list.replaceChildren(table([
      { title: 'Kind', cell: p => tag(p.kind) },
      { title: 'Since', cell: p => time(p.since) },
      { title: 'Request / item', cell: p => p.request_id ? requestLink(p.request_id) : h('span', { class: 'mono' }, p.id) },
      { title: 'Order', cell: p => h('span', { class: 'mono' }, p.order_id ?? '') },
      { title: 'Amount', num: true, cell: p => yuan(p.amount) },
      { title: 'What happened', cell: p => [p.summary ?? '', p.reviewed ? h('div', { class: 'muted' }, `reviewed by ${p.reviewed.by}: ${p.reviewed.note}`) : ''] },
      { title: 'State', cell: p => tag(p.state) },
      {
        title: 'Actions', cell: p => h('div', { class: 'actions' }, (p.actions || []).filter(a => ACTIONS[a]).map(a =>
          h('button', { type: 'button', 'data-action': a, onclick: async () => { if (await run(a, p)) await load(true); } }, ACTIONS[a].title))),
      },
    ], items.map(p => ({ ...p, __id: `${p.kind}:${p.id}` })), 'Nothing needs a person right now.'));
  }

  kind.addEventListener('change', () => load(true));
  reviewed.addEventListener('change', () => load(true));
  more.addEventListener('click', () => load(false));
  view.replaceChildren(
    h('h2', {}, 'Problems'),
    h('div', { class: 'row' }, h('label', { for: 'problem-kind' }, 'Kind'), kind,
      h('label', { for: 'problem-reviewed' }, reviewed, ' include reviewed'),
      h('button', { type: 'button', id: 'problems-refresh', onclick: () => load(true) }, 'Refresh')),
    list, more);
  await load(true);
}
