// The console's four pages: the state machines, one machine (its graph and
// its recent executions, live), one execution (its path on the graph, each
// state's input and output, its Map Runs, the event list), and one Map Run
// of a Distributed Map (its item counts and failed children). The approval
// inbox is in inbox.js.

import { call, callAll } from './api.js';
import { buildGraph } from './asl.js';
import { layout, GraphView } from './graph.js';
import { analyse, detailsOf } from './history.js';
import { h, s, fmtTime, fmtDuration, pretty, statusBadge, timeCell } from './dom.js';

// POLL_MS is how often a machine's page refreshes its executions while visible.
const POLL_MS = 1500;
const EXECUTIONS_SHOWN = 50;
const EVENTS_SHOWN = 2000;
const VISITS_SHOWN = 50;
// MIN_ZOOM keeps the graph's text readable when it first shows: a wider
// graph scrolls.
const MIN_ZOOM = 0.75;

const machineHref = (arn) => `#/machine/${encodeURIComponent(arn)}`;
/** executionHref is the console's address of an execution's page. */
export const executionHref = (arn) => `#/execution/${encodeURIComponent(arn)}`;
const mapRunHref = (arn) => `#/maprun/${encodeURIComponent(arn)}`;
// mapRunName is the <machine>/<label> part of a Map Run ARN.
const mapRunName = (arn) => arn.split(':').slice(6, -1).join(':');

function table(caption, headers, rows, empty) {
  return h('table', { class: 'list' },
    h('caption', { text: caption }),
    h('thead', {}, h('tr', {}, headers.map((t) => h('th', { scope: 'col', text: t })))),
    h('tbody', {}, rows.length ? rows : h('tr', {}, h('td', { colspan: headers.length, class: 'empty', text: empty }))));
}

/** View is what the router shows; dispose stops its timers. */
export class View {
  constructor(root) {
    this.root = root;
    this.disposed = false;
    this.timers = [];
  }

  // every runs fn every ms milliseconds while the tab is visible, until the
  // view is disposed or fn resolves to false.
  every(ms, fn) {
    const tick = async () => {
      if (this.disposed) return;
      const again = document.hidden ? true : await fn();
      if (again !== false && !this.disposed) this.timers.push(setTimeout(tick, ms));
    };
    this.timers.push(setTimeout(tick, ms));
  }

  dispose() {
    this.disposed = true;
    this.timers.forEach(clearTimeout);
  }
}

/** MachinesView lists the state machines. */
export class MachinesView extends View {
  async show() {
    document.title = 'State machines · stepd';
    const machines = await callAll('ListStateMachines', { maxResults: 1000 }, 'stateMachines');
    machines.sort((a, b) => a.name.localeCompare(b.name));
    const rows = machines.map((m) => h('tr', {},
      h('td', {}, h('a', { href: machineHref(m.stateMachineArn), text: m.name })),
      h('td', { text: m.type }),
      timeCell(m.creationDate)));
    this.root.replaceChildren(
      h('h1', { text: 'State machines' }),
      table(`${machines.length} state machine${machines.length === 1 ? '' : 's'}`, ['Name', 'Type', 'Created'], rows, 'No state machines yet: create one with CreateStateMachine.'));
  }
}

// GraphPanel is a graph with zoom controls and a side panel for the
// selected state.
class GraphPanel {
  constructor(definition, describe) {
    this.describe = describe;
    this.g = buildGraph(definition);
    this.el = h('section', { class: 'graph-panel', 'aria-label': 'Graph' });
  }

  async draw() {
    const aspect = Math.max(1, this.el.clientWidth / Math.max(300, window.innerHeight * 0.7));
    const laid = await layout(this.g, aspect);
    this.view = new GraphView(this.g, laid, (n, el) => this.open(n, el));
    this.scroller = h('div', { class: 'graph-scroll' }, this.view.svg);
    const zoomBy = (f) => this.view.setZoom(Math.min(3, Math.max(0.2, this.view.zoom * f)));
    const tools = h('div', { class: 'graph-tools', role: 'toolbar', 'aria-label': 'Zoom' },
      h('button', { type: 'button', 'aria-label': 'Zoom out', text: '−', onclick: () => zoomBy(1 / 1.25) }),
      h('button', { type: 'button', 'aria-label': 'Zoom in', text: '+', onclick: () => zoomBy(1.25) }),
      h('button', { type: 'button', 'aria-label': 'Fit the whole graph in view', text: 'Fit', onclick: () => this.fit(true) }),
      h('span', { class: 'legend', 'aria-hidden': 'true' },
        h('span', { class: 'key key-next', text: 'next' }), h('span', { class: 'key key-choice', text: 'choice' }),
        h('span', { class: 'key key-catch', text: 'catch' }), h('span', { class: 'key key-taken', text: 'taken' })));
    this.side = h('aside', { class: 'state-panel', hidden: true }); // opening it moves the focus to its title
    this.el.replaceChildren(tools, h('div', { class: 'graph-body' }, this.scroller, this.side));
    this.el.addEventListener('keydown', (ev) => {
      if (ev.key === 'Escape' && !this.side.hidden) this.close();
    });
    this.fit(false);
    this.el.dataset.ready = 'true';
  }

  // fit scales the graph to the width of its box, or with whole to all of
  // it in view; without whole, never below a size that stays readable.
  fit(whole) {
    const w = Math.max(320, this.scroller.clientWidth - 16) / this.view.width;
    const h = Math.max(240, this.scroller.clientHeight - 16) / this.view.height;
    this.view.setZoom(whole ? Math.min(1, w, h) : Math.min(1, Math.max(MIN_ZOOM, w)));
  }

  open(n, el) {
    this.opener = el;
    this.view.stateEls.forEach((x) => x.classList.toggle('selected', x === el));
    const close = h('button', { type: 'button', class: 'close', 'aria-label': 'Close the state panel', text: '×', onclick: () => this.close() });
    const title = h('h2', { id: 'state-panel-title', tabindex: -1, text: n.name });
    this.side.replaceChildren(h('div', { class: 'panel-head' }, title, close),
      h('p', { class: 'muted', text: `${n.type} state` }), ...this.describe(n));
    this.side.setAttribute('aria-labelledby', 'state-panel-title');
    this.side.hidden = false;
    title.focus(); // not the close button: the key that opened the panel would press it
  }

  close() {
    this.side.hidden = true;
    this.view.stateEls.forEach((x) => x.classList.remove('selected'));
    if (this.opener) this.opener.focus();
  }
}

/** jsonBlock is a titled, indented JSON document (held in a string). */
export function jsonBlock(title, text) {
  return h('section', { class: 'json' }, h('h3', { text: title }), h('pre', { tabindex: 0, text: pretty(text) }));
}

/** MachineView is one machine: its graph and its recent executions, refreshed while visible. */
export class MachineView extends View {
  constructor(root, arn) {
    super(root);
    this.arn = arn;
    this.errors = new Map(); // execution ARN → its error, for finished failed executions
  }

  async show() {
    const m = await call('DescribeStateMachine', { stateMachineArn: this.arn });
    document.title = `${m.name} · stepd`;
    const def = JSON.parse(m.definition);
    this.graph = new GraphPanel(def, (n) => [jsonBlock('Definition', JSON.stringify(n.def))]);
    this.executions = h('div', { class: 'executions' });
    this.staleNote = h('p', { class: 'error', role: 'status', hidden: true });
    this.root.replaceChildren(
      h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' }, h('a', { href: '#/', text: 'State machines' }), ' › ', m.name),
      h('h1', {}, m.name, ' ', h('span', { class: 'tag', text: m.type })),
      h('p', { class: 'muted arn', text: m.stateMachineArn }),
      h('div', { class: 'split' }, this.graph.el,
        h('section', { class: 'side', 'aria-labelledby': 'executions-title' }, h('h2', { id: 'executions-title', text: 'Recent executions' }), this.staleNote, this.executions)),
      h('details', { class: 'definition' }, h('summary', { text: 'Definition' }), h('pre', { tabindex: 0, text: pretty(m.definition) })));
    await Promise.all([this.graph.draw(), this.refresh()]);
    this.every(POLL_MS, () => this.refresh().then(() => this.stale(null), (err) => this.stale(err)));
  }

  // stale says, until a refresh works again, that the list is not current.
  stale(err) {
    this.staleNote.hidden = !err;
    this.staleNote.textContent = err ? `Cannot refresh the executions (${err.message}); retrying.` : '';
  }

  async refresh() {
    const page = await call('ListExecutions', { stateMachineArn: this.arn, maxResults: EXECUTIONS_SHOWN });
    const list = page.executions || [];
    await Promise.all(list.filter((e) => e.status !== 'RUNNING' && e.status !== 'SUCCEEDED' && !this.errors.has(e.executionArn))
      .slice(0, 10)
      .map(async (e) => {
        const d = await call('DescribeExecution', { executionArn: e.executionArn });
        this.errors.set(e.executionArn, [d.error, d.cause].filter(Boolean).join(': '));
      }));
    if (this.disposed) return;
    const rows = list.map((e) => h('tr', { dataset: { status: e.status } },
      h('td', {}, h('a', { href: executionHref(e.executionArn), text: e.name })),
      h('td', {}, statusBadge(e.status)),
      timeCell(e.startDate),
      h('td', { class: 'num', text: fmtDuration(e.startDate, e.stopDate) }),
      h('td', { class: 'err', text: this.errors.get(e.executionArn) || '' })));
    const focused = this.executions.contains(document.activeElement) ? document.activeElement.textContent : null;
    this.executions.replaceChildren(table(`${list.length} most recent, refreshed every ${POLL_MS / 1000} s`,
      ['Name', 'Status', 'Started', 'Duration', 'Error'], rows, 'No executions yet.'));
    if (focused) [...this.executions.querySelectorAll('a')].find((a) => a.textContent === focused)?.focus();
  }
}

/** ExecutionView is one execution: its path on the graph, each state's data, its events. */
export class ExecutionView extends View {
  constructor(root, arn) {
    super(root);
    this.arn = arn;
  }

  async show() {
    const [e, m, mapRuns] = await Promise.all([
      call('DescribeExecution', { executionArn: this.arn }),
      call('DescribeStateMachineForExecution', { executionArn: this.arn }),
      callAll('ListMapRuns', { executionArn: this.arn, maxResults: 1000 }, 'mapRuns').catch(() => []),
    ]);
    document.title = `${e.name} · stepd`;
    let events = [];
    let historyNote = null;
    try {
      events = await callAll('GetExecutionHistory', { executionArn: this.arn, maxResults: 1000 }, 'events', EVENTS_SHOWN);
    } catch (err) {
      const why = err.type === 'ExecutionDoesNotExist'
        ? 'stepd keeps the events of executions of machines whose loggingConfiguration level is not OFF (ALL with includeExecutionData shows each state\'s input and output).'
        : err.message;
      historyNote = h('p', { class: 'note', role: 'status', text: `No event history for this execution: ${why}` });
    }
    const path = analyse(events, e.status);
    this.graph = new GraphPanel(JSON.parse(m.definition), (n) => this.stateDetails(n, path));
    const summary = h('dl', { class: 'summary' },
      h('dt', { text: 'Status' }), h('dd', {}, statusBadge(e.status)),
      h('dt', { text: 'Started' }), h('dd', { text: fmtTime(e.startDate) }),
      h('dt', { text: 'Duration' }), h('dd', { text: fmtDuration(e.startDate, e.stopDate) || 'running' }),
      e.error ? [h('dt', { text: 'Error' }), h('dd', { class: 'err', text: e.error })] : null,
      e.cause ? [h('dt', { text: 'Cause' }), h('dd', { class: 'err', text: e.cause })] : null);
    // A child execution of a Distributed Map belongs to its Map Run.
    const parent = e.mapRunArn ? h('a', { href: mapRunHref(e.mapRunArn), text: `Map Run ${mapRunName(e.mapRunArn)}` }) : h('a', { href: machineHref(e.stateMachineArn), text: m.name });
    this.root.replaceChildren(
      h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' }, h('a', { href: '#/', text: 'State machines' }), ' › ', parent, ' › ', e.name),
      h('h1', { text: e.name }),
      h('p', { class: 'muted arn', text: e.executionArn }),
      summary, historyNote ?? '',
      this.graph.el,
      h('div', { class: 'io' }, jsonBlock('Execution input', e.input), e.output !== undefined ? jsonBlock('Execution output', e.output) : null),
      mapRuns.length ? this.mapRunTable(mapRuns) : '',
      this.eventTable(events, e.startDate));
    await this.graph.draw();
    this.highlight(path);
    if (e.status === 'RUNNING') this.untilFinished();
  }

  // untilFinished shows the execution again once it has ended.
  untilFinished() {
    this.every(POLL_MS, async () => {
      const d = await call('DescribeExecution', { executionArn: this.arn }).catch(() => ({ status: 'RUNNING' }));
      if (d.status === 'RUNNING' || this.disposed) return true;
      await this.show();
      return false;
    });
  }

  highlight(path) {
    const view = this.graph.view;
    this.graph.el.classList.toggle('has-path', path.visits.size > 0);
    for (const el of view.stateEls.values()) {
      const name = el.dataset.state;
      const visits = path.visits.get(name);
      if (!visits) continue;
      el.classList.add('visited');
      el.classList.toggle('failed', path.failed.has(name));
      el.setAttribute('aria-label', `${el.getAttribute('aria-label')}, entered ${visits.length} time${visits.length === 1 ? '' : 's'}${path.failed.has(name) ? ', failed' : ''}`);
      if (visits.length > 1) {
        const box = el.querySelector('.box').getBBox();
        const group = el.classList.contains('is-group');
        const x = box.width - (group && el.querySelector('.badge.retry') ? 60 : 30);
        el.append(s('g', { class: 'badge visits', transform: `translate(${x},${group ? 6 : 29})` },
          s('rect', { width: 26, height: 15, rx: 7 }), s('text', { x: 13, y: 11, 'text-anchor': 'middle', text: `×${visits.length}` })));
      }
    }
    for (const el of view.edgeEls.values()) {
      const { from, to, kind } = el.dataset;
      const taken = path.transitions.some((t) => (t.from === null ? kind === 'start' : t.from === from && kind !== 'start') &&
        (t.to === null ? kind === 'end' : t.to === to && kind !== 'end'));
      if (taken) {
        el.classList.add('taken');
        el.setAttribute('marker-end', 'url(#arrow-taken)');
      }
    }
  }

  stateDetails(n, path) {
    const visits = path.visits.get(n.name) || [];
    if (!visits.length) return [h('p', { text: 'This execution did not enter this state.' })];
    const out = [h('p', { class: 'visits', text: `Entered ${visits.length} time${visits.length === 1 ? '' : 's'}${visits.length > VISITS_SHOWN ? `; the first ${VISITS_SHOWN} are shown` : ''}.` })];
    visits.slice(0, VISITS_SHOWN).forEach((v, i) => {
      const parts = [];
      if (visits.length > 1) parts.push(h('h3', { class: 'visit', text: `Visit ${i + 1}` }));
      if (v.failed) parts.push(h('p', { class: 'err', text: `Failed${v.error ? `: ${v.error}` : ''}${v.cause ? ` — ${v.cause}` : ''}` }));
      parts.push(jsonBlock('Input', v.input));
      parts.push(v.output !== undefined ? jsonBlock('Output', v.output) : h('p', { class: 'muted', text: 'No output.' }));
      out.push(h('div', { class: 'visit-block' }, parts));
    });
    return out;
  }

  mapRunTable(runs) {
    const rows = runs.map((r) => h('tr', {},
      h('td', {}, h('a', { href: mapRunHref(r.mapRunArn), text: mapRunName(r.mapRunArn) })),
      timeCell(r.startDate),
      h('td', { class: 'num', text: fmtDuration(r.startDate, r.stopDate) || 'running' })));
    return h('section', { class: 'map-runs' }, h('h2', { text: 'Map Runs' }),
      table(`${runs.length} Map Run${runs.length === 1 ? '' : 's'} of Distributed Map states`, ['Map Run', 'Started', 'Duration'], rows, 'No Map Runs.'));
  }

  eventTable(events, start) {
    const rows = events.map((ev) => {
      const d = detailsOf(ev);
      const rest = { ...d };
      delete rest.name;
      const extra = Object.keys(rest).length ? h('details', {}, h('summary', { text: 'details' }), h('pre', { text: JSON.stringify(rest, null, 2) })) : '';
      return h('tr', { dataset: { type: ev.type } },
        h('td', { class: 'num', text: ev.id }),
        h('td', { text: ev.type }),
        h('td', { text: d.name || '' }),
        h('td', { class: 'num', text: fmtDuration(start, ev.timestamp) }),
        h('td', {}, extra));
    });
    return h('section', { class: 'events' }, h('h2', { text: 'Events' }),
      table(events.length >= EVENTS_SHOWN ? `The first ${EVENTS_SHOWN} events` : `${events.length} event${events.length === 1 ? '' : 's'}`,
        ['ID', 'Type', 'State', 'Since start', 'Details'], rows, 'No events.'));
  }
}

// The statuses DescribeMapRun counts items and child executions in, with
// the API's names.
const MAP_RUN_COUNTS = [['pending', 'Pending'], ['running', 'Running'], ['succeeded', 'Succeeded'], ['failed', 'Failed'],
  ['timedOut', 'Timed out'], ['aborted', 'Aborted'], ['total', 'Total'], ['resultsWritten', 'Results written']];

/** MapRunView is one Map Run: its settings, its item and child execution counts, its failed children. */
export class MapRunView extends View {
  constructor(root, arn) {
    super(root);
    this.arn = arn;
  }

  async show() {
    const r = await call('DescribeMapRun', { mapRunArn: this.arn });
    const failed = await callAll('ListExecutions', { mapRunArn: this.arn, statusFilter: 'FAILED', maxResults: EXECUTIONS_SHOWN }, 'executions', EXECUTIONS_SHOWN);
    const described = await Promise.all(failed.map((c) => call('DescribeExecution', { executionArn: c.executionArn }).catch(() => c)));
    if (this.disposed) return;
    const name = mapRunName(r.mapRunArn);
    document.title = `Map Run ${name} · stepd`;
    const tolerated = [r.toleratedFailureCount ? `${r.toleratedFailureCount} items` : '', r.toleratedFailurePercentage ? `${r.toleratedFailurePercentage} %` : '']
      .filter(Boolean).join(' or ') || 'none';
    const summary = h('dl', { class: 'summary' },
      h('dt', { text: 'Status' }), h('dd', {}, statusBadge(r.status)),
      h('dt', { text: 'Started' }), h('dd', { text: fmtTime(r.startDate) }),
      h('dt', { text: 'Duration' }), h('dd', { text: fmtDuration(r.startDate, r.stopDate) || 'running' }),
      h('dt', { text: 'Max concurrency' }), h('dd', { text: r.maxConcurrency ? String(r.maxConcurrency) : 'no limit' }),
      h('dt', { text: 'Tolerated failures' }), h('dd', { text: tolerated }));
    const countRow = (title, c) => h('tr', { dataset: { counts: title } }, h('th', { scope: 'row', text: title }),
      MAP_RUN_COUNTS.map(([key]) => h('td', { class: 'num', dataset: { key }, text: String(c[key] ?? 0) })));
    const counts = h('table', { class: 'list counts' },
      h('caption', { text: 'Items, and the child executions that ran them (a batch of items is one child)' }),
      h('thead', {}, h('tr', {}, h('td', {}), MAP_RUN_COUNTS.map(([, t]) => h('th', { scope: 'col', text: t })))),
      h('tbody', {}, countRow('Items', r.itemCounts), countRow('Child executions', r.executionCounts)));
    const rows = described.map((c) => h('tr', { dataset: { status: c.status } },
      h('td', {}, h('a', { href: executionHref(c.executionArn), text: c.name })),
      timeCell(c.startDate),
      h('td', { class: 'err', text: [c.error, c.cause].filter(Boolean).join(': ') })));
    this.root.replaceChildren(
      h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' }, h('a', { href: '#/', text: 'State machines' }), ' › ',
        h('a', { href: executionHref(r.executionArn), text: r.executionArn.split(':').pop() }), ' › Map Run'),
      h('h1', {}, 'Map Run ', name),
      h('p', { class: 'muted arn', text: r.mapRunArn }),
      summary,
      h('section', { class: 'map-run-counts' }, h('h2', { text: 'Item processing status' }), counts),
      h('section', { class: 'failed-children' }, h('h2', { text: 'Failed child executions' }),
        table(failed.length >= EXECUTIONS_SHOWN ? `The first ${EXECUTIONS_SHOWN}` : `${failed.length} failed`, ['Name', 'Started', 'Error'], rows,
          'No STANDARD child execution failed (EXPRESS children are counted, not listed).')));
    if (r.status === 'RUNNING') this.every(POLL_MS, async () => { await this.show(); return false; });
  }
}
