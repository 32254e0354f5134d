// The console's entry point: a hash router over the views, and the
// dialog that asks for a bearer token when the API wants one.

import { setTokenPrompt, forgetToken, token } from './api.js';
import { MachinesView, MachineView, ExecutionView, MapRunView } from './views.js';
import { InboxView } from './inbox.js';
import { h } from './dom.js';

const main = document.getElementById('main');
const dialog = document.getElementById('token-dialog');
const tokenInput = document.getElementById('token-input');
const tokenReason = document.getElementById('token-reason');
const tokenButton = document.getElementById('token-button');
let current = null;

// askToken shows the token dialog and resolves with the token, or null if
// the user cancels.
function askToken(reason) {
  return new Promise((resolve) => {
    tokenReason.textContent = reason;
    tokenInput.value = '';
    const form = dialog.querySelector('form');
    const done = (value) => {
      form.removeEventListener('submit', submit);
      dialog.removeEventListener('close', cancel);
      if (dialog.open) dialog.close();
      resolve(value);
    };
    const submit = (ev) => {
      ev.preventDefault();
      done(tokenInput.value.trim() || null);
    };
    const cancel = () => done(null);
    form.addEventListener('submit', submit);
    dialog.addEventListener('close', cancel);
    dialog.showModal();
    tokenInput.focus();
  });
}

function updateTokenButton() {
  tokenButton.hidden = !token();
}

async function route() {
  if (current) current.dispose();
  const hash = location.hash || '#/';
  const [, kind, arg] = /^#\/(machine|execution|maprun)\/(.+)$/.exec(hash) || [];
  const arn = arg ? decodeURIComponent(arg) : '';
  if (kind === 'machine') current = new MachineView(main, arn);
  else if (kind === 'execution') current = new ExecutionView(main, arn);
  else if (kind === 'maprun') current = new MapRunView(main, arn);
  else if (hash === '#/inbox') current = new InboxView(main);
  else current = new MachinesView(main);
  document.querySelectorAll('.top nav a').forEach((a) => (a.getAttribute('href') === hash ? a.setAttribute('aria-current', 'page') : a.removeAttribute('aria-current')));
  const view = current;
  main.setAttribute('aria-busy', 'true');
  main.replaceChildren(h('p', { class: 'muted', text: 'Loading…' }));
  try {
    await view.show();
  } catch (err) {
    if (view === current) main.replaceChildren(h('h1', { text: 'Cannot load this page' }), h('p', { class: 'error', role: 'alert', text: err.message || String(err) }), h('p', {}, h('a', { href: '#/', text: 'Back to the state machines' })));
  } finally {
    if (view === current) {
      main.removeAttribute('aria-busy');
      const heading = main.querySelector('h1');
      if (heading) {
        heading.tabIndex = -1;
        heading.focus({ preventScroll: true });
      }
    }
    updateTokenButton();
  }
}

setTokenPrompt(askToken);
document.getElementById('token-cancel').addEventListener('click', () => dialog.close());
tokenButton.addEventListener('click', () => {
  forgetToken();
  route();
});
window.addEventListener('hashchange', route);
route();
