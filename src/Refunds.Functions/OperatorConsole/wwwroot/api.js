// Every call the console makes. Locally: the master key in x-functions-key (kept in sessionStorage, never in a URL)
// on /api/manage/…. On Azure, behind App Service Authentication: the platform's session cookie on /api/entra/manage/…,
// with the X-Refunds-Console header the app requires of session calls (a cross-site form cannot send it).
const KEY_STORAGE = 'refunds.console.key';

export const auth = { mode: null, who: '' };

/**
 * Decides how to call the app by asking the Entra twin who we are: 200 = signed in through App Service Authentication
 * (on Azure), 401 not_signed_in = sign in first, anything else (404 locally: no App Service Authentication, no Entra
 * ID) = the master key. Returns 'entra', 'login' or 'key'.
 */
export async function detectAuth() {
  let response = null;
  try {
    response = await fetch('/api/entra/manage/whoami', { credentials: 'same-origin', headers: { Accept: 'application/json', 'X-Refunds-Console': '1' } });
  } catch {
    response = null;
  }
  if (response && response.ok) {
    auth.mode = 'entra';
    auth.who = (await response.json()).caller;
    return 'entra';
  }
  if (response && response.status === 401) {
    const body = await response.json().catch(() => ({}));
    if (body.error === 'not_signed_in' || body.error?.code === 'not_signed_in') {
      auth.mode = 'login';
      return 'login';
    }
  }
  auth.mode = 'key';
  return 'key';
}

/** Checks the key with the app (GET /api/manage/whoami, master key only); resolves to the caller id it is recorded as. */
export async function checkKey() {
  const answer = await getJson(manage('/whoami'));
  auth.who = answer.caller;
  return answer.caller;
}

export function signInUrl() {
  return '/.auth/login/aad?post_login_redirect_uri=' + encodeURIComponent('/api/console/' + location.hash);
}

export const key = {
  get: () => sessionStorage.getItem(KEY_STORAGE),
  set: value => sessionStorage.setItem(KEY_STORAGE, value),
  clear: () => sessionStorage.removeItem(KEY_STORAGE),
};

/** /api/manage or /api/entra/manage, and the same for the order routes. */
export function manage(path) {
  return (auth.mode === 'entra' ? '/api/entra/manage' : '/api/manage') + path;
}

export function orders(path) {
  return (auth.mode === 'entra' ? '/api/entra/orders' : '/api/orders') + path;
}

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

function headers(extra) {
  const h = { Accept: 'application/json', 'X-Refunds-Console': '1', ...extra };
  if (auth.mode === 'key' && key.get()) {
    h['x-functions-key'] = key.get();
  }
  return h;
}

async function failure(response) {
  if (response.status === 401 && auth.mode === 'key') {
    // A refused key: the console asks for it again (app.js).
    window.dispatchEvent(new CustomEvent('refunds-key-refused'));
  }
  let code = 'http_' + response.status;
  let message = response.statusText || 'request failed';
  const text = await response.text();
  if (text) {
    try {
      const body = JSON.parse(text);
      const error = body.error;
      if (error && typeof error === 'object') {
        code = error.code || code;
        message = error.message || message;
      } else if (typeof error === 'string') {
        code = error;
        message = body.message || message;
      }
    } catch {
      message = text.slice(0, 300);
    }
  } else if (response.status === 401) {
    code = 'unauthorized';
    message = auth.mode === 'key' ? 'The key was refused (the manage routes take the master key).' : 'Not signed in.';
  }
  return new ApiError(response.status, code, message);
}

export async function getJson(path) {
  const response = await fetch(path, { headers: headers(), credentials: 'same-origin' });
  if (!response.ok) throw await failure(response);
  return response.json();
}

export async function postJson(path, body) {
  const response = await fetch(path, {
    method: 'POST',
    headers: headers({ 'Content-Type': 'application/json' }),
    credentials: 'same-origin',
    body: JSON.stringify(body ?? {}),
  });
  if (!response.ok) throw await failure(response);
  const text = await response.text();
  return text ? JSON.parse(text) : null;
}

/** A file download through fetch (the key never goes into a URL), handed to the browser as a blob link. */
export async function download(path, fileName) {
  const response = await fetch(path, { headers: headers({ Accept: 'text/csv' }), credentials: 'same-origin' });
  if (!response.ok) throw await failure(response);
  const blob = await response.blob();
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
  return blob.size;
}
