// Tiny DOM helpers: every value reaches the page as text (textContent / attributes), never as markup.
export function h(tag, attributes, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') {
      element.addEventListener(name.slice(2), value);
    } else if (name === 'class') {
      element.className = value;
    } else {
      element.setAttribute(name, value === true ? '' : String(value));
    }
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

export function table(columns, rows, emptyText) {
  if (rows.length === 0) return h('p', { class: 'muted' }, emptyText);
  return h('table', {},
    h('thead', {}, h('tr', {}, columns.map(c => h('th', {}, c.title)))),
    h('tbody', {}, rows.map(row => h('tr', { 'data-id': row.__id ?? null }, columns.map(c => h('td', { class: c.num ? 'num' : null }, c.cell(row)))))));
}

export function tag(value) {
  return value ? h('span', { class: 'tag ' + value }, value) : '';
}

/** Fen as yuan for people: 12345 → ¥123.45. */
export function yuan(fen) {
  if (fen === null || fen === undefined) return '';
  const sign = fen < 0 ? '-' : '';
  const abs = Math.abs(fen);
  return `${sign}¥${Math.floor(abs / 100).toLocaleString('en-US')}.${String(abs % 100).padStart(2, '0')}`;
}

export function time(iso) {
  if (!iso) return '';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toISOString().replace('T', ' ').slice(0, 19) + 'Z';
}

const statusLine = () => document.getElementById('status');

export function say(text, ok = true) {
  const line = statusLine();
  line.textContent = text;
  line.className = 'status ' + (ok ? 'ok' : 'bad');
}

export function requestLink(requestId) {
  return h('a', { href: '#request/' + encodeURIComponent(requestId), class: 'mono' }, requestId);
}
