// Unit tests of the console's pure modules: node --test test/ (no browser).
// daemon/console's Go tests run them when node is on PATH.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyse } from '../src/history.js';

// ev builds a history event in the AWS shape.
let t0 = 1700000000;
function ev(id, prev, type, details) {
  const e = { id, previousEventId: prev, timestamp: t0 + id / 1000, type };
  if (details) {
    const key = type.endsWith('StateEntered') ? 'stateEnteredEventDetails'
      : type.endsWith('StateExited') ? 'stateExitedEventDetails'
        : `${type[0].toLowerCase()}${type.slice(1)}EventDetails`;
    e[key] = details;
  }
  return e;
}

// The history AWS gives the orders machine (daemon/console/testdata) for a
// bulk order whose card is declined: the Parallel fails, its Catch goes to
// Refund, and Rejected fails the execution.
function declined(parallelExits) {
  const input = '{"kind":"bulk","items":[{"qty":1}],"card":"declined"}';
  const events = [
    ev(1, 0, 'ExecutionStarted', { input }),
    ev(2, 1, 'PassStateEntered', { name: 'Validate', input }),
    ev(3, 2, 'PassStateExited', { name: 'Validate', output: input }),
    ev(4, 3, 'ChoiceStateEntered', { name: 'Route', input }),
    ev(5, 4, 'ChoiceStateExited', { name: 'Route', output: input }),
    ev(6, 5, 'MapStateEntered', { name: 'Items', input }),
    ev(7, 6, 'MapStateStarted', { length: 1 }),
    ev(8, 7, 'MapIterationStarted', { name: 'Items', index: 0 }),
    ev(9, 8, 'PassStateEntered', { name: 'Price', input: '{"qty":1}' }),
    ev(10, 9, 'PassStateExited', { name: 'Price', output: '{"qty":1,"price":5}' }),
    ev(11, 10, 'ChoiceStateEntered', { name: 'InStock', input: '{"qty":1,"price":5}' }),
    ev(12, 11, 'ChoiceStateExited', { name: 'InStock', output: '{"qty":1,"price":5}' }),
    ev(13, 12, 'SucceedStateEntered', { name: 'Priced', input: '{"qty":1,"price":5}' }),
    ev(14, 13, 'SucceedStateExited', { name: 'Priced', output: '{"qty":1,"price":5}' }),
    ev(15, 14, 'MapIterationSucceeded', { name: 'Items', index: 0 }),
    ev(16, 15, 'MapStateSucceeded'),
    ev(17, 16, 'MapStateExited', { name: 'Items', output: input }),
    ev(18, 17, 'ParallelStateEntered', { name: 'Charge', input }),
    ev(19, 18, 'ParallelStateStarted'),
    ev(20, 19, 'PassStateEntered', { name: 'Ship', input }),
    ev(21, 19, 'ChoiceStateEntered', { name: 'CheckCard', input }),
    ev(22, 20, 'PassStateExited', { name: 'Ship', output: '"shipped"' }),
    ev(23, 21, 'ChoiceStateExited', { name: 'CheckCard', output: input }),
    ev(24, 23, 'FailStateEntered', { name: 'Declined', input }),
    ev(25, 24, 'ParallelStateFailed', { error: 'Billing.Declined', cause: 'the card was declined' }),
  ];
  let last = 25;
  if (parallelExits) events.push(ev(++last, 25, 'ParallelStateExited', { name: 'Charge', output: input }));
  events.push(
    ev(last + 1, last, 'PassStateEntered', { name: 'Refund', input }),
    ev(last + 2, last + 1, 'PassStateExited', { name: 'Refund', output: input }),
    ev(last + 3, last + 2, 'FailStateEntered', { name: 'Rejected', input }),
    ev(last + 4, last + 3, 'ExecutionFailed', { error: 'Order.Rejected', cause: 'payment failed' }),
  );
  return events;
}

const pairs = (ts) => ts.map((t) => `${t.from ?? 'Start'}>${t.to ?? 'End'}`).sort();

for (const exits of [true, false]) {
  test(`a caught Parallel failure and a Fail state (ParallelStateExited: ${exits})`, () => {
    const got = analyse(declined(exits), 'FAILED');
    assert.deepEqual([...got.visits.keys()].sort(),
      ['Charge', 'CheckCard', 'Declined', 'InStock', 'Items', 'Price', 'Priced', 'Refund', 'Rejected', 'Route', 'Ship', 'Validate']);
    assert.deepEqual([...got.failed].sort(), ['Charge', 'Declined', 'Rejected']);
    assert.deepEqual(pairs(got.transitions), [
      'Charge>Refund', 'CheckCard>Declined', 'InStock>Priced', 'Items>Charge', 'Price>InStock',
      'Refund>Rejected', 'Route>Items', 'Start>Validate', 'Validate>Route',
    ]);
    const [price] = got.visits.get('Price');
    assert.equal(price.input, '{"qty":1}');
    assert.equal(price.output, '{"qty":1,"price":5}');
    const [charge] = got.visits.get('Charge');
    assert.equal(charge.error, 'Billing.Declined');
  });
}

test('a successful execution ends at End, and a state entered per item counts each visit', () => {
  const events = [
    ev(1, 0, 'ExecutionStarted', { input: '[1,2]' }),
    ev(2, 1, 'MapStateEntered', { name: 'Each', input: '[1,2]' }),
    ev(3, 2, 'MapStateStarted', { length: 2 }),
    ev(4, 3, 'MapIterationStarted', { name: 'Each', index: 0 }),
    ev(5, 3, 'MapIterationStarted', { name: 'Each', index: 1 }),
    ev(6, 4, 'PassStateEntered', { name: 'Double', input: '1' }),
    ev(7, 5, 'PassStateEntered', { name: 'Double', input: '2' }),
    ev(8, 7, 'PassStateExited', { name: 'Double', output: '4' }),
    ev(9, 6, 'PassStateExited', { name: 'Double', output: '2' }),
    ev(10, 9, 'MapIterationSucceeded', { name: 'Each', index: 0 }),
    ev(11, 8, 'MapIterationSucceeded', { name: 'Each', index: 1 }),
    ev(12, 11, 'MapStateSucceeded'),
    ev(13, 12, 'MapStateExited', { name: 'Each', output: '[2,4]' }),
    ev(14, 13, 'ExecutionSucceeded', { output: '[2,4]' }),
  ];
  const got = analyse(events, 'SUCCEEDED');
  assert.deepEqual(got.visits.get('Double').map((v) => [v.input, v.output]), [['1', '2'], ['2', '4']]);
  assert.deepEqual(pairs(got.transitions), ['Each>End', 'Start>Each']);
  assert.equal(got.failed.size, 0);
});

test('a Task that fails without a Catch fails the execution', () => {
  const events = [
    ev(1, 0, 'ExecutionStarted', { input: '{}' }),
    ev(2, 1, 'TaskStateEntered', { name: 'Call', input: '{}' }),
    ev(3, 2, 'TaskScheduled', { resource: 'invoke', resourceType: 'lambda', region: 'us-east-1', parameters: '{}' }),
    ev(4, 3, 'TaskStarted', { resource: 'invoke', resourceType: 'lambda' }),
    ev(5, 4, 'TaskFailed', { error: 'Boom', cause: 'it broke', resource: 'invoke', resourceType: 'lambda' }),
    ev(6, 5, 'ExecutionFailed', { error: 'Boom', cause: 'it broke' }),
  ];
  const got = analyse(events, 'FAILED');
  assert.deepEqual([...got.failed], ['Call']);
  assert.equal(got.visits.get('Call')[0].error, 'Boom');
  assert.deepEqual(pairs(got.transitions), ['Start>Call']);
});
