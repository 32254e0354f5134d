import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { buildGraph, ruleText } from '../src/asl.js';

const testdata = (name) => JSON.parse(readFileSync(new URL(`../../testdata/${name}`, import.meta.url)));

test('Choice rules read as short expressions', () => {
  const cases = [
    [{ Variable: '$.kind', StringEquals: 'bulk' }, '$.kind == "bulk"'],
    [{ Variable: '$.n', NumericGreaterThanEqualsPath: '$.min' }, '$.n >= $.min'],
    [{ Variable: '$.x', IsPresent: false }, '$.x is not present'],
    [{ Variable: '$.x', IsNull: true }, '$.x is null'],
    [{ Not: { Variable: '$.c', StringEquals: 'US' } }, '!($.c == "US")'],
    [{ And: [{ Variable: '$.a', NumericLessThan: 1 }, { Or: [{ Variable: '$.b', BooleanEquals: true }, { Variable: '$.s', StringMatches: 'x*' }] }] },
      '$.a < 1 && ($.b == true || $.s matches "x*")'],
    [{ Condition: '{% $total > 10 %}' }, '$total > 10'],
  ];
  for (const [rule, want] of cases) assert.equal(ruleText(rule), want);
});

test('the orders machine: groups, Choice, Catch and terminal edges', () => {
  const g = buildGraph(testdata('orders.asl.json'));
  const name = (id) => g.nodes.get(id).name;
  const edges = g.edges.map((e) => `${name(e.from)}>${name(e.to)}|${e.kind}`).sort();
  assert.ok(edges.includes('Route>Items|choice'));
  assert.ok(edges.includes('Route>Reject|default'));
  assert.ok(edges.includes('Charge>Refund|catch'));
  assert.ok(edges.includes('Start>Validate|start'));
  assert.ok(edges.includes('Done>End|end'));
  assert.ok(!edges.some((e) => e.startsWith('Declined>End')), 'a Fail state in a branch does not end the machine');
  const charge = [...g.nodes.values()].find((n) => n.name === 'Charge');
  assert.deepEqual(charge.children.map(name), ['Branch 1', 'Branch 2']);
  assert.equal(charge.retry.length, 1);
  const catchEdge = g.edges.find((e) => e.kind === 'catch' && name(e.to) === 'Refund');
  assert.equal(catchEdge.label, 'Billing.Declined');
});

test('a JSONata machine draws with its Conditions and Map', () => {
  const g = buildGraph(testdata('jsonata.asl.json'));
  const each = [...g.nodes.values()].find((n) => n.name === 'Each');
  assert.equal(each.queryLanguage, 'JSONata');
  assert.deepEqual(each.children.map((id) => g.nodes.get(id).name), ['Double']);
  assert.deepEqual(g.edges.filter((e) => e.kind === 'choice').map((e) => e.label), ['$total > 10', '$count($states.input.values) = 0']);
});
