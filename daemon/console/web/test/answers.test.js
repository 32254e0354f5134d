import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseOutput, failureRequest } from '../src/answers.js';

test('an output is sent only when it is JSON, as typed', () => {
  assert.deepEqual(parseOutput('{"approved": true}'), { output: '{"approved": true}' });
  assert.deepEqual(parseOutput('42'), { output: '42' });
  assert.match(parseOutput('{approved: true}').error, /^The output is not valid JSON: /);
  assert.match(parseOutput('   ').error, /^Type the output/);
});

test('a failure carries error and cause only when typed', () => {
  assert.deepEqual(failureRequest('t', '', ''), { taskToken: 't' });
  assert.deepEqual(failureRequest('t', ' Rejected ', 'too expensive'), { taskToken: 't', error: 'Rejected', cause: 'too expensive' });
  assert.deepEqual(failureRequest('t', '', 'why'), { taskToken: 't', cause: 'why' });
});
