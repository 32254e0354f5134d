// What the approval inbox sends, checked before it is sent: pure
// functions, tested with node (test/answers.test.js).

/** parseOutput checks the output a person typed: the JSON text, or an error message. */
export function parseOutput(text) {
  if (!text.trim()) return { error: 'Type the output: a JSON value, such as {"approved": true}.' };
  try {
    JSON.parse(text);
  } catch (err) {
    return { error: `The output is not valid JSON: ${err.message}` };
  }
  return { output: text };
}

/** failureRequest is SendTaskFailure's request: error and cause only when typed, as AWS records neither otherwise. */
export function failureRequest(taskToken, error, cause) {
  const req = { taskToken };
  if (error.trim()) req.error = error.trim();
  if (cause.trim()) req.cause = cause;
  return req;
}
