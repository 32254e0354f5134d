// The console's data sources: the AWS Step Functions JSON API that stepd
// serves at POST /, and for the approval inbox its REST list of waiting
// tasks (GET /v1/tasks). When the server asks for authentication, the
// user is asked for a bearer token, kept for the browser tab only
// (sessionStorage), and the call is retried.

const TOKEN_KEY = 'stepd.console.token';

// Error names with which the API refuses a caller it cannot authenticate
// or authorise.
const AUTH_ERRORS = new Set([
  'UnrecognizedClientException',
  'AccessDeniedException',
  'MissingAuthenticationToken',
  'MissingAuthenticationTokenException',
  'InvalidSignatureException',
  'IncompleteSignature',
]);

/** APIError is an error answered by the API, with its AWS error name. */
export class APIError extends Error {
  constructor(type, message, status) {
    super(message ? `${type}: ${message}` : type);
    this.type = type;
    this.status = status;
  }
}

let promptForToken = async () => null;
let pendingPrompt = null;

/** setTokenPrompt installs the function that asks the user for a token (null: cancelled). */
export function setTokenPrompt(fn) {
  promptForToken = fn;
}

/** token is the bearer token of this tab, or null. */
export function token() {
  return sessionStorage.getItem(TOKEN_KEY);
}

/** forgetToken drops the tab's token; the next refused call asks again. */
export function forgetToken() {
  sessionStorage.removeItem(TOKEN_KEY);
}

// askToken asks once for all the calls refused at the same time.
function askToken(reason) {
  if (!pendingPrompt) {
    pendingPrompt = promptForToken(reason).then((t) => {
      pendingPrompt = null;
      if (t) sessionStorage.setItem(TOKEN_KEY, t);
      return t;
    });
  }
  return pendingPrompt;
}

function errorType(data, resp) {
  const raw = data.__type || data.error || resp.headers.get('X-Amzn-ErrorType') || `HTTP${resp.status}`;
  return raw.split('#').pop().split(':')[0];
}

// send makes one HTTP request to the server with the tab's token, asking
// for a new one while the server refuses it, and returns the decoded
// answer ({} for an empty body), or throws an APIError. Both the AWS API
// and the REST API answer errors with an AWS error name: the first as
// __type and message, the second as error and cause.
async function send(url, init) {
  for (let attempt = 0; ; attempt++) {
    const sent = token();
    const headers = { ...init.headers };
    if (sent) headers.Authorization = `Bearer ${sent}`;
    const resp = await fetch(url, { ...init, headers, cache: 'no-store' });
    let data = {};
    try {
      data = await resp.json();
    } catch {
      data = {};
    }
    if (resp.ok) return data;
    const type = errorType(data, resp);
    const message = data.message || data.Message || data.cause || '';
    const refused = resp.status === 401 || resp.status === 403 || AUTH_ERRORS.has(type);
    if (!refused || attempt >= 3) throw new APIError(type, message, resp.status);
    if (token() !== sent) continue; // another call already got a new token
    const t = await askToken(sent ? `The server refused the token (${type}).` : 'This server needs a bearer token.');
    if (!t) throw new APIError(type, message || 'no token given', resp.status);
  }
}

/** call sends one API action and returns the decoded answer, or throws an APIError. */
export function call(action, body = {}) {
  return send('/', {
    method: 'POST',
    headers: { 'X-Amz-Target': `AWSStepFunctions.${action}`, 'Content-Type': 'application/x-amz-json-1.0' },
    body: JSON.stringify(body),
  });
}

/** rest sends one request of the REST API (path under /v1/) and returns the decoded answer, or throws an APIError. */
export function rest(method, path) {
  return send(`/v1/${path}`, { method, headers: {} });
}

/**
 * callAll pages through a list action, following nextToken, and returns
 * the items under key (at most limit of them).
 */
export async function callAll(action, body, key, limit = 10000) {
  const items = [];
  let next;
  do {
    const page = await call(action, next ? { ...body, nextToken: next } : body);
    items.push(...(page[key] || []));
    next = page.nextToken;
  } while (next && items.length < limit);
  return items.slice(0, limit);
}
