import { test, beforeEach } from 'node:test';
import assert from 'node:assert/strict';

// A tab's sessionStorage, and a server that wants "Bearer s3cret".
const store = new Map();
globalThis.sessionStorage = {
  getItem: (k) => (store.has(k) ? store.get(k) : null),
  setItem: (k, v) => store.set(k, String(v)),
  removeItem: (k) => store.delete(k),
};
let seen = [];
globalThis.fetch = async (url, init) => {
  seen.push({ url, target: init.headers['X-Amz-Target'], auth: init.headers.Authorization });
  const ok = init.headers.Authorization === 'Bearer s3cret';
  if (url.startsWith('/v1/')) {
    // The REST API's errors: {"error", "cause"}, 401 for a missing token.
    if (url === '/v1/nothing') return { ok: false, status: 400, headers: new Map(), json: async () => ({ error: 'InvalidToken', cause: 'Invalid Token' }) };
    const body = ok ? { tasks: [], total: 0 } : { error: 'UnrecognizedClientException', cause: 'The security token included in the request is invalid.' };
    return { ok, status: ok ? 200 : 401, headers: new Map(), json: async () => body };
  }
  const body = ok ? { stateMachines: [] } : { __type: 'com.amazon.coral.service#UnrecognizedClientException', message: 'The security token included in the request is invalid.' };
  return { ok, status: ok ? 200 : 403, headers: new Map(), json: async () => body };
};

const { call, rest, setTokenPrompt, APIError, forgetToken } = await import('../src/api.js');

beforeEach(() => {
  forgetToken();
  seen = [];
});

test('a refused call asks for a token once, keeps it for the tab and retries', async () => {
  const asked = [];
  setTokenPrompt(async (reason) => {
    asked.push(reason);
    return 's3cret';
  });
  const [a, b] = await Promise.all([call('ListStateMachines'), call('ListStateMachines')]);
  assert.deepEqual(a, { stateMachines: [] });
  assert.deepEqual(b, { stateMachines: [] });
  assert.equal(asked.length, 1, 'two calls refused together ask once');
  assert.equal(sessionStorage.getItem('stepd.console.token'), 's3cret');
  assert.equal(seen.at(-1).auth, 'Bearer s3cret');
  assert.equal(seen.at(-1).target, 'AWSStepFunctions.ListStateMachines');
  assert.equal(seen.at(-1).url, '/');
  await call('ListStateMachines');
  assert.equal(asked.length, 1, 'the kept token is sent without asking');
});

test('cancelling the prompt fails the call with the API error', async () => {
  setTokenPrompt(async () => null);
  await assert.rejects(call('ListStateMachines'), (err) => err instanceof APIError && err.type === 'UnrecognizedClientException' && err.status === 403);
});

test('a wrong token is asked again, a few times at most', async () => {
  let n = 0;
  setTokenPrompt(async () => `wrong${n++}`);
  await assert.rejects(call('ListStateMachines'), APIError);
  assert.ok(n >= 1 && n <= 3, `asked ${n} times`);
});

test('a REST call signs in the same way and reads the REST API\'s errors', async () => {
  const asked = [];
  setTokenPrompt(async (reason) => {
    asked.push(reason);
    return 's3cret';
  });
  assert.deepEqual(await rest('GET', 'tasks'), { tasks: [], total: 0 });
  assert.equal(asked.length, 1);
  assert.equal(seen.at(-1).url, '/v1/tasks');
  assert.equal(seen.at(-1).auth, 'Bearer s3cret');
  await assert.rejects(rest('POST', 'nothing'), (err) => err instanceof APIError && err.type === 'InvalidToken' && err.message === 'InvalidToken: Invalid Token');
});
