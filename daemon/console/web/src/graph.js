// Lays a state machine's graph out with ELK (layered, compound nodes for
// Parallel branches and Map item processors, in a Web Worker so a large
// machine never blocks the page) and draws it as SVG: states focusable in
// reading order, arrow keys to move between them, Enter to open one.

import ELK from 'elkjs/lib/elk-api.js';
import { s, shorten } from './dom.js';
import { retryText } from './asl.js';

const elk = new ELK({ workerUrl: new URL('elk-worker.min.js', document.baseURI).href });

const STATE_H = 48;
const MARKER = 26;
const GROUP_HEADER = 34;
const LABEL_MAX = 34;
const NAME_MAX = 40;

const LAYOUT = {
  'elk.algorithm': 'layered',
  'elk.direction': 'DOWN',
  'elk.hierarchyHandling': 'INCLUDE_CHILDREN',
  'elk.edgeRouting': 'ORTHOGONAL',
  'elk.layered.spacing.nodeNodeBetweenLayers': '40',
  'elk.layered.spacing.edgeNodeBetweenLayers': '20',
  'elk.spacing.nodeNode': '28',
  'elk.spacing.edgeEdge': '12',
  'elk.spacing.edgeLabel': '4',
  'elk.layered.considerModelOrder.strategy': 'NODES_AND_EDGES',
  'elk.layered.nodePlacement.strategy': 'NETWORK_SIMPLEX',
  'elk.json.shapeCoords': 'ROOT',
  'elk.json.edgeCoords': 'ROOT',
  'elk.padding': '[top=16,left=16,bottom=16,right=16]',
};

let measureCtx = null;

// textWidth measures text in the graph's font.
function textWidth(text, font) {
  if (!measureCtx) measureCtx = document.createElement('canvas').getContext('2d');
  measureCtx.font = font;
  return Math.ceil(measureCtx.measureText(text).width);
}

const NAME_FONT = '600 13px system-ui, sans-serif';
const SMALL_FONT = '11px system-ui, sans-serif';

function elkNode(g, n) {
  if (n.kind === 'start' || n.kind === 'end') return { id: n.id, width: MARKER, height: MARKER };
  const name = shorten(n.name, NAME_MAX);
  if (n.children.length) {
    return {
      id: n.id,
      layoutOptions: {
        'elk.padding': `[top=${GROUP_HEADER},left=14,bottom=14,right=14]`,
        'elk.nodeSize.constraints': 'MINIMUM_SIZE',
        'elk.nodeSize.minimum': `(${textWidth(name, NAME_FONT) + 90}, 60)`,
      },
      children: n.children.map((c) => elkNode(g, g.nodes.get(c))),
      edges: g.edges.filter((e) => e.scope === n.id).map(elkEdge),
    };
  }
  const w = Math.max(textWidth(name, NAME_FONT), textWidth(n.type, SMALL_FONT) + 40) + 36;
  return { id: n.id, width: Math.max(120, w), height: STATE_H };
}

function elkEdge(e) {
  const out = { id: e.id, sources: [e.from], targets: [e.to] };
  if (e.label) {
    const text = shorten(e.label, LABEL_MAX);
    out.labels = [{ id: `${e.id}l`, text, width: textWidth(text, SMALL_FONT) + 10, height: 16 }];
  }
  return out;
}

// WRAP_OVER is the number of states above which a long graph is wrapped
// into several columns, so that it fits a screen instead of being one tall
// strip.
const WRAP_OVER = 30;

/**
 * layout computes positions for a graph from buildGraph, in a Web Worker.
 * aspect is the width/height ratio to aim for when a large graph is wrapped.
 */
export async function layout(g, aspect) {
  const states = [...g.nodes.values()].filter((n) => n.kind === 'state').length;
  // SINGLE_EDGE: MULTI_EDGE (elkjs 0.11) misroutes labelled edges that cross a cut.
  const wrap = states > WRAP_OVER ? { 'elk.layered.wrapping.strategy': 'SINGLE_EDGE', 'elk.aspectRatio': String(aspect) } : {};
  return elk.layout({
    id: 'root',
    layoutOptions: { ...LAYOUT, ...wrap },
    children: g.roots.map((id) => elkNode(g, g.nodes.get(id))),
    edges: g.edges.filter((e) => e.scope === null).map(elkEdge),
  });
}

function flatten(laid, into = new Map()) {
  for (const c of laid.children || []) {
    into.set(c.id, c);
    flatten(c, into);
  }
  return into;
}

function edgesOf(laid, into = []) {
  into.push(...(laid.edges || []));
  for (const c of laid.children || []) edgesOf(c, into);
  return into;
}

function pathData(section) {
  const pts = [section.startPoint, ...(section.bendPoints || []), section.endPoint];
  return pts.map((p, i) => `${i ? 'L' : 'M'}${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(' ');
}

function arrowMarker(id) {
  // In user space, so that the arrow of a thick (taken) edge is no larger.
  return s('marker', { id, class: id, viewBox: '0 0 10 10', refX: 9, refY: 5, markerUnits: 'userSpaceOnUse', markerWidth: 10, markerHeight: 10, orient: 'auto-start-reverse' },
    s('path', { d: 'M0,0 L10,5 L0,10 z' }));
}

/**
 * GraphView is a drawn graph. Its states are <g class="state"> elements with
 * data-state (the state's name), data-type and data-id; its edges are
 * <path class="edge"> with data-from and data-to (state names, or Start and
 * End) and data-kind.
 */
export class GraphView {
  /**
   * @param g the graph from buildGraph
   * @param laid its layout
   * @param onOpen called with a node when the user clicks a state or presses Enter on it
   */
  constructor(g, laid, onOpen) {
    this.g = g;
    this.onOpen = onOpen;
    this.width = Math.ceil(laid.width);
    this.height = Math.ceil(laid.height);
    this.stateEls = new Map();
    this.edgeEls = new Map();
    const boxes = flatten(laid);
    const groups = s('g', { class: 'groups' });
    const edges = s('g', { class: 'edges' });
    const labels = s('g', { class: 'labels' });
    const states = s('g', { class: 'nodes' });
    this.svg = s('svg', {
      class: 'graph-svg', role: 'group', 'aria-label': 'State machine graph: Tab or the arrow keys move between states, Enter opens one',
      viewBox: `0 0 ${this.width} ${this.height}`, width: this.width, height: this.height,
    }, s('defs', {}, arrowMarker('arrow'), arrowMarker('arrow-catch'), arrowMarker('arrow-taken')), groups, edges, labels, states);

    // Groups (Parallel, Map, branches) first, so that everything sits on them.
    const ordered = [...g.nodes.values()].map((n) => ({ n, b: boxes.get(n.id) })).filter((x) => x.b);
    for (const { n, b } of ordered) {
      if (n.children.length) groups.append(this.groupBox(n, b));
    }
    const edgeById = new Map(g.edges.map((m) => [m.id, m]));
    for (const e of edgesOf(laid)) {
      const model = edgeById.get(e.id);
      for (const sec of e.sections || []) {
        const el = s('path', {
          class: `edge kind-${model.kind}`, d: pathData(sec),
          'marker-end': `url(#${model.kind === 'catch' ? 'arrow-catch' : 'arrow'})`,
          dataset: { from: g.nodes.get(model.from).name, to: g.nodes.get(model.to).name, kind: model.kind, id: model.id },
        }, model.title ? s('title', { text: model.title }) : null);
        edges.append(el);
        this.edgeEls.set(model.id, el);
      }
      for (const l of e.labels || []) {
        labels.append(s('g', { class: `edge-label kind-${model.kind}`, transform: `translate(${l.x},${l.y})` },
          s('rect', { width: l.width, height: l.height, rx: 3 }),
          s('text', { x: 5, y: 12, text: l.text }),
          s('title', { text: model.title })));
      }
    }
    // Focusable states in reading order: top to bottom, then left to right.
    ordered.sort((a, b) => a.b.y - b.b.y || a.b.x - b.b.x);
    for (const { n, b } of ordered) {
      if (n.kind === 'branch') continue;
      const el = n.kind === 'state' ? this.stateEl(n, b) : this.markerEl(n, b);
      states.append(el);
      if (n.kind === 'state') this.stateEls.set(n.id, el);
    }
    this.svg.addEventListener('keydown', (ev) => this.key(ev));
  }

  groupBox(n, b) {
    const cls = n.kind === 'branch' ? 'group branch' : `group t-${n.type}`;
    return s('g', { class: cls, transform: `translate(${b.x},${b.y})`, dataset: { group: n.id } },
      s('rect', { width: b.width, height: b.height, rx: 8 }),
      n.kind === 'branch' ? s('text', { class: 'group-title', x: 10, y: 18, text: n.name }) : null);
  }

  markerEl(n, b) {
    const r = b.width / 2;
    return s('g', { class: `marker marker-${n.kind}`, transform: `translate(${b.x},${b.y})`, dataset: { marker: n.kind }, 'aria-hidden': 'true' },
      s('circle', { cx: r, cy: r, r: r - 1 }),
      s('text', { x: r, y: r + 4, 'text-anchor': 'middle', text: n.kind === 'start' ? '▶' : '■' }));
  }

  stateEl(n, b) {
    const group = n.children.length > 0;
    const h = group ? GROUP_HEADER - 6 : b.height;
    const retry = n.retry.length ? `, retries on ${n.retry.map((r) => (r.ErrorEquals || []).join(' or ')).join('; ')}` : '';
    const el = s('g', {
      class: `state t-${n.type}${group ? ' is-group' : ''}`, transform: `translate(${b.x},${b.y})`, tabindex: 0, role: 'button',
      'aria-label': `${n.type} state ${n.name}${retry}`, dataset: { id: n.id, state: n.name, type: n.type },
    });
    el.append(s('rect', { class: 'box', width: b.width, height: group ? b.height : h, rx: group ? 8 : 6 }));
    if (group) {
      el.append(s('rect', { class: 'header', width: b.width, height: h, rx: 8 }));
      el.append(s('text', { class: 'name', x: 10, y: 19, text: shorten(n.name, NAME_MAX) }));
      el.append(s('text', { class: 'type', x: b.width - (n.retry.length ? 40 : 10), y: 19, 'text-anchor': 'end', text: n.type }));
    } else {
      el.append(s('rect', { class: 'stripe', width: 5, height: h, rx: 2 }));
      el.append(s('text', { class: 'name', x: 14, y: 20, text: shorten(n.name, NAME_MAX) }));
      el.append(s('text', { class: 'type', x: 14, y: 37, text: n.type + (n.queryLanguage === 'JSONata' ? ' · JSONata' : '') }));
    }
    if (n.retry.length) {
      el.append(s('g', { class: 'badge retry', transform: `translate(${b.width - 30},${group ? 6 : 4})` },
        s('rect', { width: 26, height: 15, rx: 7 }), s('text', { x: 13, y: 11, 'text-anchor': 'middle', text: `↻${n.retry.length}` }),
        s('title', { text: retryText(n.retry) })));
    }
    el.append(s('title', { text: `${n.name} (${n.type})` }));
    const open = () => this.onOpen(n, el);
    el.addEventListener('click', open);
    el.addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter' || ev.key === ' ') {
        ev.preventDefault();
        open();
      }
    });
    return el;
  }

  // key moves the focus to the nearest state in the arrow's direction.
  key(ev) {
    const dirs = { ArrowUp: [0, -1], ArrowDown: [0, 1], ArrowLeft: [-1, 0], ArrowRight: [1, 0] };
    const d = dirs[ev.key];
    const from = ev.target.closest && ev.target.closest('.state');
    if (!d || !from) return;
    ev.preventDefault();
    const c = (el) => {
      const r = el.querySelector('.box').getBBox();
      const m = /translate\(([-\d.]+),([-\d.]+)\)/.exec(el.getAttribute('transform'));
      return [Number(m[1]) + r.width / 2, Number(m[2]) + Math.min(r.height, STATE_H) / 2];
    };
    const [x0, y0] = c(from);
    let best = null;
    let bestScore = Infinity;
    for (const el of this.stateEls.values()) {
      if (el === from) continue;
      const [x, y] = c(el);
      const along = (x - x0) * d[0] + (y - y0) * d[1];
      if (along <= 0) continue;
      const across = Math.abs((x - x0) * d[1] + (y - y0) * d[0]);
      const score = along + 2 * across;
      if (score < bestScore) {
        bestScore = score;
        best = el;
      }
    }
    if (best) {
      best.focus();
      best.scrollIntoView({ block: 'nearest', inline: 'nearest' });
    }
  }

  /** setZoom scales the drawing; 1 is one SVG unit per CSS pixel. */
  setZoom(z) {
    this.zoom = z;
    this.svg.setAttribute('width', Math.round(this.width * z));
    this.svg.setAttribute('height', Math.round(this.height * z));
  }
}
