// Operator actions: each asks for a reason (or a note), calls its route and says what came back.
import { manage, postJson } from './api.js';
import { say } from './dom.js';

const enc = encodeURIComponent;

/** What each action calls, whether its text is required, and how it is labelled (CONTRACT-23). */
export const ACTIONS = {
  requeue: { title: 'Requeue', field: 'reason', required: false, path: p => `/refund-requests/${enc(p.request_id)}/requeue` },
  approve: { title: 'Approve', field: 'reason', required: false, path: p => `/refund-requests/${enc(p.request_id)}/approve` },
  deny: { title: 'Deny', field: 'reason', required: true, path: p => `/refund-requests/${enc(p.request_id)}/deny` },
  cancel: { title: 'Cancel', field: 'reason', required: true, path: p => `/refund-requests/${enc(p.request_id)}/cancel` },
  review: { title: 'Mark reviewed', field: 'note', required: true, path: p => `/problems/${enc(p.kind)}/${enc(p.id)}/review` },
  reapply: { title: 'Re-apply', field: 'reason', required: true, path: p => `/webhook-events/${enc(p.event_id ?? p.id)}/reapply` },
};

/** Asks for the reason or note in the page's dialog; resolves to the text, or null when the operator backs out. */
function ask(action, subject) {
  const dialog = document.getElementById('action-dialog');
  const text = document.getElementById('action-text');
  const error = document.getElementById('action-error');
  document.getElementById('action-title').textContent = `${action.title}: ${subject}`;
  document.getElementById('action-label').textContent = action.field === 'note'
    ? 'Note (required)'
    : `Reason (${action.required ? 'required' : 'optional'})`;
  document.getElementById('action-help').textContent = 'Recorded with your identity in the request\'s history.';
  text.value = '';
  error.textContent = '';
  return new Promise(resolve => {
    const confirm = document.getElementById('action-confirm');
    const back = document.getElementById('action-cancel');
    const done = value => {
      confirm.removeEventListener('click', onConfirm);
      back.removeEventListener('click', onBack);
      dialog.removeEventListener('cancel', onBack);
      dialog.close();
      resolve(value);
    };
    const onConfirm = () => {
      const value = text.value.trim();
      if (action.required && value.length === 0) {
        error.textContent = `A ${action.field} is required.`;
        return;
      }
      if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(value)) {
        error.textContent = 'Control characters are not allowed.';
        return;
      }
      done(value);
    };
    const onBack = () => done(null);
    confirm.addEventListener('click', onConfirm);
    back.addEventListener('click', onBack);
    dialog.addEventListener('cancel', onBack);
    dialog.showModal();
    text.focus();
  });
}

/** Runs <name> on <subject> (a problem item or a request view); resolves to the answer, or null when not done. */
export async function run(name, subject) {
  const action = ACTIONS[name];
  const label = subject.request_id ?? subject.event_id ?? subject.id;
  const text = await ask(action, label);
  if (text === null) return null;
  const body = text.length > 0 ? { [action.field]: text } : {};
  try {
    const answer = await postJson(manage(action.path(subject)), body);
    say(`${action.title} ${label}: done${answer && (answer.status || answer.apply_status) ? ` (now ${answer.status || answer.apply_status})` : ''}.`);
    return answer ?? {};
  } catch (e) {
    say(`${action.title} ${label}: ${e.status} ${e.code}: ${e.message}`, false);
    return null;
  }
}
