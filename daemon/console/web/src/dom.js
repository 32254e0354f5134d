// Small DOM helpers: the console builds its pages with these instead of
// HTML strings, so no text from the server is ever parsed as markup.

const SVG_NS = 'http://www.w3.org/2000/svg';

function build(el, attrs, children) {
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'text') el.textContent = v;
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : String(c));
  }
  return el;
}

/** h creates an HTML element with attributes (on* are listeners) and children. */
export function h(tag, attrs, ...children) {
  return build(document.createElement(tag), attrs, children);
}

/** s creates an SVG element, as h does. */
export function s(tag, attrs, ...children) {
  return build(document.createElementNS(SVG_NS, tag), attrs, children);
}

/** fmtTime renders an AWS timestamp (epoch seconds) in the local time zone. */
export function fmtTime(epoch) {
  if (epoch === undefined || epoch === null) return '';
  const d = new Date(Number(epoch) * 1000);
  const pad = (n, w = 2) => String(n).padStart(w, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

/** timeCell is a table cell with an AWS timestamp: the time of day, the full date on hover. */
export function timeCell(epoch) {
  const full = fmtTime(epoch);
  const today = fmtTime(Date.now() / 1000).slice(0, 10);
  return h('td', { class: 'num', title: full, text: full.startsWith(today) ? full.slice(11) : full });
}

/** fmtDuration renders the time between two AWS timestamps (seconds). */
export function fmtDuration(start, stop) {
  if (start === undefined || stop === undefined || stop === null) return '';
  const ms = Math.max(0, Math.round((Number(stop) - Number(start)) * 1000));
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60000) return `${(ms / 1000).toFixed(2)} s`;
  return `${Math.floor(ms / 60000)} min ${Math.round((ms % 60000) / 1000)} s`;
}

/** pretty indents a JSON document held in a string; other text is returned as it is. */
export function pretty(text) {
  if (text === undefined || text === null) return '';
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return String(text);
  }
}

/** shorten cuts text to at most n characters, marking the cut with an ellipsis. */
export function shorten(text, n) {
  return text.length <= n ? text : text.slice(0, n - 1) + '…';
}

/** statusBadge is an execution status as a coloured, labelled badge. */
export function statusBadge(status) {
  return h('span', { class: `status status-${String(status).toLowerCase()}`, text: status });
}
