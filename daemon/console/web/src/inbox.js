// The approval inbox: the tasks that wait for a person's (or a worker's)
// answer — `.waitForTaskToken` Tasks and activity tasks — with their input,
// and forms that answer them with SendTaskSuccess or SendTaskFailure,
// the API actions any holder of the token would call.

import { call, rest } from './api.js';
import { View, executionHref, jsonBlock } from './views.js';
import { h, fmtTime } from './dom.js';
import { parseOutput, failureRequest } from './answers.js';

const POLL_MS = 1500;

const STATUS_TEXT = {
  WAITING: 'waiting for an answer',
  TAKEN: 'taken by a worker',
  WAITING_FOR_WORKER: 'waiting for a worker',
};

/** InboxView lists the waiting tasks, refreshed while visible, and answers them. */
export class InboxView extends View {
  constructor(root) {
    super(root);
    this.cards = new Map(); // task token → { el, status }
  }

  async show() {
    document.title = 'Approvals · stepd';
    this.list = h('div', { class: 'inbox' });
    this.count = h('p', { class: 'muted', role: 'status' });
    this.staleNote = h('p', { class: 'error', role: 'status', hidden: true });
    this.sent = h('p', { class: 'sent', role: 'status', hidden: true });
    this.root.replaceChildren(
      h('h1', { text: 'Approvals' }),
      h('p', { class: 'muted', text: 'STANDARD executions waiting for the answer to a task token: .waitForTaskToken Tasks and activity tasks. ' +
        'Answering one sends SendTaskSuccess or SendTaskFailure with its token. An activity task no worker has taken waits for GetActivityTask and cannot be answered here.' }),
      this.sent, this.staleNote, this.count, this.list);
    await this.refresh();
    // A refusal the sign-in did not cure (a token without the execute
    // role, the dialog cancelled) stops the refreshing: asking again
    // every 1.5 s would only bring the dialog back.
    this.every(POLL_MS, () => this.refresh().then(() => this.stale(null), (err) => {
      const refused = err.status === 401 || err.status === 403;
      this.stale(err, refused);
      return !refused;
    }));
  }

  stale(err, refused) {
    this.staleNote.hidden = !err;
    this.staleNote.textContent = !err ? ''
      : refused ? `The server refused the list of waiting tasks (${err.message}): it needs a token with the execute role. Reload the page to sign in again.`
        : `Cannot refresh the waiting tasks (${err.message}); retrying.`;
  }

  // refresh adds the tasks that came, drops the ones answered or ended,
  // and leaves the others as they are, with what is typed in them.
  async refresh() {
    const { tasks = [], total = 0 } = await rest('GET', 'tasks');
    if (this.disposed) return;
    const seen = new Set();
    for (const t of tasks) {
      seen.add(t.taskToken);
      const had = this.cards.get(t.taskToken);
      if (had && had.status === t.status) continue;
      const el = this.card(t);
      if (had) had.el.replaceWith(el);
      else this.list.append(el);
      this.cards.set(t.taskToken, { el, status: t.status });
    }
    for (const [tok, c] of this.cards) {
      if (!seen.has(tok)) {
        c.el.remove();
        this.cards.delete(tok);
      }
    }
    this.count.textContent = total === 0 ? 'No task waits for an answer.'
      : `${total} task${total === 1 ? '' : 's'} waiting${total > tasks.length ? `; the oldest ${tasks.length} are shown` : ''}, refreshed every ${POLL_MS / 1000} s.`;
  }

  card(t) {
    const id = `task-${this.cards.size}-${Math.random().toString(36).slice(2, 8)}`;
    const facts = h('dl', { class: 'summary' },
      h('dt', { text: 'Execution' }), h('dd', { class: 'arn', text: t.executionArn }),
      h('dt', { text: 'State' }), h('dd', { class: 'state-name', text: t.stateName || '(not recorded)' }),
      h('dt', { text: 'Waiting since' }), h('dd', { class: 'since', text: fmtTime(t.waitingSince) }),
      t.timeoutDate ? [h('dt', { text: 'Times out' }), h('dd', { text: fmtTime(t.timeoutDate) })] : null,
      t.activityArn ? [h('dt', { text: 'Activity' }), h('dd', { class: 'arn', text: t.activityArn })] : null,
      t.workerName ? [h('dt', { text: 'Worker' }), h('dd', { text: t.workerName })] : null);
    const input = t.input === undefined ? h('p', { class: 'muted', text: 'No input recorded.' }) : jsonBlock(t.activityArn ? 'Activity input' : 'Task parameters', JSON.stringify(t.input));
    const el = h('article', { class: 'task', 'aria-labelledby': `${id}-title`, dataset: { token: t.taskToken, status: t.status, execution: t.executionName } },
      h('h2', { id: `${id}-title` }, h('a', { href: executionHref(t.executionArn), text: t.executionName }), ' ',
        h('span', { class: 'tag', text: t.stateName || '' }), ' ', h('span', { class: `status status-${t.status.toLowerCase()}`, text: STATUS_TEXT[t.status] || t.status })),
      facts, input);
    if (t.status === 'WAITING_FOR_WORKER') {
      el.append(h('p', { class: 'note', text: 'No worker has taken this activity task yet. A worker takes it with GetActivityTask; once one has, it can be answered here in the worker\'s place.' }));
    } else {
      el.append(this.forms(t, id, el));
    }
    return el;
  }

  forms(t, id, card) {
    const alert = h('p', { class: 'error', role: 'alert', hidden: true });
    const say = (msg) => {
      alert.hidden = !msg;
      alert.textContent = msg || '';
    };
    const output = h('textarea', { id: `${id}-output`, class: 'output', rows: 4, spellcheck: 'false', text: '{}' });
    const error = h('input', { id: `${id}-error`, class: 'error-name', type: 'text', autocomplete: 'off' });
    const cause = h('textarea', { id: `${id}-cause`, class: 'cause', rows: 2 });
    const buttons = [];
    const answer = async (action, req, done) => {
      say('');
      buttons.forEach((b) => { b.disabled = true; });
      try {
        await call(action, req);
      } catch (err) {
        say(`${action} was refused: ${err.message}`);
        buttons.forEach((b) => { b.disabled = false; });
        return;
      }
      this.cards.delete(t.taskToken);
      card.remove();
      this.sent.hidden = false;
      this.sent.textContent = `${done} ${t.executionName} (${t.stateName || 'its task'}).`;
    };
    const approve = h('form', { class: 'approve', onsubmit: (ev) => {
      ev.preventDefault();
      const checked = parseOutput(output.value);
      if (checked.error) {
        say(checked.error);
        output.setAttribute('aria-invalid', 'true');
        output.focus();
        return;
      }
      output.removeAttribute('aria-invalid');
      answer('SendTaskSuccess', { taskToken: t.taskToken, output: checked.output }, 'Sent success to');
    } },
    h('label', { for: output.id, text: 'Output (JSON)' }), output,
    h('div', { class: 'buttons' }, h('button', { type: 'submit', class: 'send-success', text: 'Send success' })));
    const reject = h('form', { class: 'reject', onsubmit: (ev) => {
      ev.preventDefault();
      answer('SendTaskFailure', failureRequest(t.taskToken, error.value, cause.value), 'Sent failure to');
    } },
    h('label', { for: error.id, text: 'Error' }), error,
    h('label', { for: cause.id, text: 'Cause' }), cause,
    h('div', { class: 'buttons' }, h('button', { type: 'submit', class: 'send-failure', text: 'Send failure' })));
    buttons.push(approve.querySelector('button'), reject.querySelector('button'));
    return h('div', { class: 'answer' }, approve, reject, alert);
  }
}
