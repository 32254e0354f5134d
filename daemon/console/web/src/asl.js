// Turns an Amazon States Language definition into the graph the console
// draws: a node per state (Parallel branches and Map item processors as
// nested groups), Start and End markers, and an edge per transition —
// Next, Choice rules and Default, Catch — labelled with what takes it.

/**
 * @typedef {{id: string, kind: 'state'|'branch'|'start'|'end', name: string,
 *   type: string, parent: string|null, children: string[], def: object,
 *   retry: object[], queryLanguage: string}} GraphNode
 * @typedef {{id: string, from: string, to: string,
 *   kind: 'start'|'next'|'choice'|'default'|'catch'|'end',
 *   label: string, title: string, scope: string|null}} GraphEdge
 */

const RULE_OPS = {
  Equals: '==',
  LessThan: '<',
  GreaterThan: '>',
  LessThanEquals: '<=',
  GreaterThanEquals: '>=',
  Matches: 'matches',
};
const COMPARISON = /^(String|Numeric|Boolean|Timestamp)(Equals|LessThan|GreaterThan|LessThanEquals|GreaterThanEquals|Matches)(Path)?$/;
const TEST = /^Is(Null|Present|Numeric|String|Boolean|Timestamp)$/;

function paren(rule) {
  const t = ruleText(rule);
  return rule && (rule.And || rule.Or) ? `(${t})` : t;
}

/** ruleText renders a Choice rule (JSONPath or JSONata) in a short, readable form. */
export function ruleText(rule) {
  if (!rule || typeof rule !== 'object') return '';
  if (typeof rule.Condition === 'string') return rule.Condition.replace(/^\{%\s*|\s*%\}$/g, '');
  if (Array.isArray(rule.And)) return rule.And.map(paren).join(' && ');
  if (Array.isArray(rule.Or)) return rule.Or.map(paren).join(' || ');
  if (rule.Not) return `!(${ruleText(rule.Not)})`;
  const v = rule.Variable || '?';
  for (const [k, val] of Object.entries(rule)) {
    let m = COMPARISON.exec(k);
    if (m) return `${v} ${RULE_OPS[m[2]]} ${m[3] ? val : JSON.stringify(val)}`;
    m = TEST.exec(k);
    if (m) {
      const what = m[1] === 'Present' ? 'present' : m[1] === 'Null' ? 'null' : m[1].toLowerCase();
      return `${v} is ${val === false || val === 'false' ? 'not ' : ''}${what}`;
    }
  }
  return v;
}

/** buildGraph returns the nodes (by id, roots first) and edges of a definition. */
export function buildGraph(def) {
  const g = { nodes: new Map(), roots: [], edges: [] };
  let seq = 0;
  const node = (fields) => {
    const n = { id: `n${seq++}`, children: [], retry: [], def: {}, type: '', ...fields };
    g.nodes.set(n.id, n);
    if (n.parent) g.nodes.get(n.parent).children.push(n.id);
    else g.roots.push(n.id);
    return n;
  };
  const edge = (from, to, kind, label = '', title = label) => {
    if (!from || !to) return; // a target the definition does not have
    const scope = g.nodes.get(from).parent;
    g.edges.push({ id: `e${g.edges.length}`, from, to, kind, label, title, scope });
  };

  const scope = (sdef, parent, ql, top) => {
    const ids = new Map();
    const states = (sdef && sdef.States) || {};
    const scopeQL = sdef.QueryLanguage || ql;
    let start = null;
    let end = null;
    if (top) start = node({ kind: 'start', name: 'Start', parent });
    for (const [name, st] of Object.entries(states)) {
      const n = node({ kind: 'state', name, type: st.Type || '?', parent, def: st,
        retry: Array.isArray(st.Retry) ? st.Retry : [], queryLanguage: st.QueryLanguage || scopeQL });
      ids.set(name, n.id);
      if (st.Type === 'Parallel') {
        (st.Branches || []).forEach((b, i) => {
          const br = node({ kind: 'branch', name: `Branch ${i + 1}`, parent: n.id });
          scope(b, br.id, n.queryLanguage, false);
        });
      } else if (st.Type === 'Map') {
        scope(st.ItemProcessor || st.Iterator || {}, n.id, n.queryLanguage, false);
      }
    }
    if (top) end = node({ kind: 'end', name: 'End', parent });
    if (start) edge(start.id, ids.get(sdef.StartAt), 'start');
    for (const [name, st] of Object.entries(states)) {
      const id = ids.get(name);
      if (st.Next) edge(id, ids.get(st.Next), 'next');
      (st.Choices || []).forEach((rule) => {
        const text = ruleText(rule);
        edge(id, ids.get(rule.Next), 'choice', text, text);
      });
      if (st.Default) edge(id, ids.get(st.Default), 'default', 'Default');
      (st.Catch || []).forEach((c) => {
        const errs = (c.ErrorEquals || []).join(', ');
        edge(id, ids.get(c.Next), 'catch', errs, `Catch ${errs}`);
      });
      if (end && (st.End || st.Type === 'Succeed' || st.Type === 'Fail')) edge(id, end.id, 'end');
    }
  };
  scope(def, null, def.QueryLanguage || 'JSONPath', true);
  return g;
}

/** retryText describes a state's Retry rules in one line each. */
export function retryText(retry) {
  return retry.map((r) => {
    const errs = (r.ErrorEquals || []).join(', ');
    const attempts = r.MaxAttempts === undefined ? 3 : r.MaxAttempts;
    return `Retry ${errs}: ${attempts} attempts, ${r.IntervalSeconds || 1} s × ${r.BackoffRate || 2}`;
  }).join('\n');
}
