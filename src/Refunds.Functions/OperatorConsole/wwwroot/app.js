// The console's entry: decides how to authenticate, then shows the view the location hash names.
import { auth, checkKey, detectAuth, key, signInUrl } from './api.js';
import { say } from './dom.js';
import * as problems from './problems.js';
import * as search from './search.js';
import * as events from './events.js';
import * as chart from './chart.js';
import { renderOrder, renderRequest } from './request.js';

const view = () => document.getElementById('view');

async function route() {
  say('');
  const [name, ...rest] = (location.hash.replace(/^#/, '') || 'problems').split('/');
  const argument = rest.length ? decodeURIComponent(rest.join('/')) : null;
  for (const link of document.querySelectorAll('#nav a')) {
    link.classList.toggle('active', link.dataset.view === (name === 'request' ? 'search' : name));
  }
  switch (name) {
    case 'search': return search.render(view());
    case 'request': return renderRequest(view(), argument);
    case 'order': return renderOrder(view(), argument);
    case 'events': return events.render(view(), argument);
    case 'chart': return chart.render(view());
    default: return problems.render(view());
  }
}

function showConsole() {
  document.getElementById('key-prompt').hidden = true;
  document.getElementById('nav').hidden = false;
  document.getElementById('who').textContent = auth.mode === 'entra' ? `Signed in as ${auth.who}` : `Acting as ${auth.who} (key kept in this tab only)`;
  document.getElementById('sign-out').hidden = auth.mode !== 'key';
  window.addEventListener('hashchange', route);
  return route();
}

function promptForKey(message) {
  const prompt = document.getElementById('key-prompt');
  const input = document.getElementById('key-input');
  prompt.hidden = false;
  document.getElementById('nav').hidden = true;
  document.getElementById('key-error').textContent = message || '';
  input.value = '';
  input.focus();
}

async function main() {
  const mode = await detectAuth();
  if (mode === 'login') {
    location.assign(signInUrl());
    return;
  }
  const submit = document.getElementById('key-submit');
  const input = document.getElementById('key-input');
  const accept = async () => {
    const value = input.value.trim();
    if (!value) {
      document.getElementById('key-error').textContent = 'Enter the master key.';
      return;
    }
    key.set(value);
    input.value = '';
    try {
      await checkKey();
    } catch (e) {
      key.clear();
      promptForKey(e.status === 401 ? 'The key was refused: the manage routes take the master key.' : `The app did not answer: ${e.status} ${e.message}`);
      return;
    }
    await showConsole();
  };
  submit.addEventListener('click', accept);
  input.addEventListener('keydown', e => { if (e.key === 'Enter') accept(); });
  document.getElementById('sign-out').addEventListener('click', () => {
    key.clear();
    window.removeEventListener('hashchange', route);
    document.getElementById('view').replaceChildren();
    say('Key forgotten.');
    promptForKey();
  });
  if (mode === 'key') {
    if (!key.get()) {
      promptForKey();
      return;
    }
    try {
      await checkKey();
    } catch {
      key.clear();
      promptForKey('The key was refused: the manage routes take the master key.');
      return;
    }
  }
  await showConsole();
}

// A refused key (401 from a manage route) brings the prompt back.
window.addEventListener('refunds-key-refused', () => {
  key.clear();
  promptForKey('The key was refused: the manage routes take the master key.');
});

main();
