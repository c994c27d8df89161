// Search across all orders (GET …/refund-requests?…) and the same filters as a CSV download (…/export/refund-requests.csv).
import { download, getJson, manage } from './api.js';
import { h, table, tag, yuan, time, say, requestLink } from './dom.js';

const FIELDS = [
  ['order_id', 'Order id'], ['request_id', 'Request id'], ['refund_id', 'Refund id'], ['charge_id', 'Charge id'],
  ['status', 'Status (a,b)'], ['min_amount', 'Min fen'], ['max_amount', 'Max fen'], ['since', 'Since (ISO 8601)'], ['until', 'Until'],
];

export async function render(view) {
  const inputs = Object.fromEntries(FIELDS.map(([name]) => [name, h('input', { id: 'search-' + name, name, size: 18 })]));
  const results = h('div', { id: 'search-results' });
  const more = h('button', { type: 'button', hidden: true }, 'More');
  let continuation = null;
  let items = [];

  const filters = () => {
    const query = new URLSearchParams();
    for (const [name, input] of Object.entries(inputs)) {
      if (input.value.trim()) query.set(name, input.value.trim());
    }
    return query;
  };

  async function search(reset) {
    const query = filters();
    query.set('page_size', '50');
    if (!reset && continuation) query.set('continuation', continuation);
    try {
      const page = await getJson(manage('/refund-requests?' + query));
      items = reset ? page.items : items.concat(page.items);
      continuation = page.continuation;
      more.hidden = !continuation;
      results.replaceChildren(table([
        { title: 'Created', cell: r => time(r.created_at) },
        { title: 'Request', cell: r => requestLink(r.request_id) },
        { title: 'Order', cell: r => h('span', { class: 'mono' }, r.order_id) },
        { title: 'Status', cell: r => tag(r.status) },
        { title: 'Amount', num: true, cell: r => yuan(r.amount) },
        { title: 'Refunds', cell: r => h('span', { class: 'mono' }, (r.refund_ids || []).join(' ')) },
        { title: 'By', cell: r => r.submitted_by ?? '' },
        { title: 'Description', cell: r => r.description ?? '' },
      ], items.map(r => ({ ...r, __id: r.request_id })), 'No refund request matches.'));
      say(`${items.length} shown${continuation ? ', more available' : ''}.`);
    } catch (e) {
      results.replaceChildren(h('p', { class: 'error' }, `Search failed: ${e.status} ${e.code}: ${e.message}`));
    }
  }

  async function exportCsv() {
    try {
      const size = await download(manage('/export/refund-requests.csv?' + filters()), 'refund-requests.csv');
      say(`Exported refund-requests.csv (${size} bytes).`);
    } catch (e) {
      say(`Export failed: ${e.status} ${e.code}: ${e.message}`, false);
    }
  }

  view.replaceChildren(
    h('h2', {}, 'Search refund requests'),
    h('div', { class: 'row' }, FIELDS.map(([name, title]) => [h('label', { for: 'search-' + name }, title), inputs[name]])),
    h('div', { class: 'row' },
      h('button', { type: 'button', id: 'search-run', class: 'primary', onclick: () => search(true) }, 'Search'),
      h('button', { type: 'button', id: 'search-export', onclick: exportCsv }, 'Export CSV')),
    h('p', { class: 'muted' }, 'No filter at all: the last 30 days. The CSV holds every matching row (amounts in fen and yuan, UTF-8 with BOM).'),
    results, more);
  more.addEventListener('click', () => search(false));
}
