// Reads an execution's path out of its event history (GetExecutionHistory,
// in AWS's shape): which states were entered and how often, each visit's
// input and output, which states failed, and which transitions were taken.

const BOUNDARY = /^(ExecutionStarted|MapIterationStarted|ParallelStateStarted|MapStateStarted|MapRunStarted)$/;
const FAILURE = /(Failed|TimedOut|Aborted|StartFailed|SubmitFailed|ScheduleFailed)$/;

/** detailsOf returns the one *EventDetails object an event carries, or {}. */
export function detailsOf(ev) {
  for (const [k, v] of Object.entries(ev)) {
    if (k.endsWith('EventDetails') && v && typeof v === 'object') return v;
  }
  return {};
}

/**
 * analyse returns, for events in id order:
 *   visits: Map name → [{input, output, entered, exited, failed, error, cause}]
 *   failed: Set of state names with a failed visit
 *   transitions: [{from, to}] state names, from null for the execution's start,
 *     to null for its successful end
 */
export function analyse(events, status) {
  const byId = new Map(events.map((e) => [e.id, e]));
  const index = new Map(events.map((e, i) => [e.id, i]));
  const visits = new Map();
  const visitOf = new Map(); // a StateEntered event's id → its visit
  const open = new Set(); // the visits not exited yet
  const transitions = [];
  const failed = new Set();
  const failedAt = new Map(); // a failure event's id → the state that failed, which a Catch leaves

  // back walks from an event towards the start of its thread of events
  // until stop accepts one.
  const back = (ev, stop) => {
    for (let n = 0, cur = ev; cur && n <= events.length; n++) {
      const prev = cur.previousEventId ? byId.get(cur.previousEventId) : events[index.get(cur.id) - 1];
      if (!prev || stop(prev)) return prev || null;
      cur = prev;
    }
    return null;
  };
  const isEntered = (e) => e.type.endsWith('StateEntered');
  const isStep = (e) => isEntered(e) || e.type.endsWith('StateExited') || BOUNDARY.test(e.type) || failedAt.has(e.id);
  const from = (e) => failedAt.get(e.id) || detailsOf(e).name;

  for (const ev of events) {
    const d = detailsOf(ev);
    if (isEntered(ev)) {
      const v = { name: d.name, input: d.input, entered: ev.timestamp, failed: false };
      if (!visits.has(d.name)) visits.set(d.name, []);
      visits.get(d.name).push(v);
      visitOf.set(ev.id, v);
      open.add(v);
      const prev = back(ev, isStep);
      if (prev && prev.type === 'ExecutionStarted') transitions.push({ from: null, to: d.name });
      else if (prev && !BOUNDARY.test(prev.type)) transitions.push({ from: from(prev), to: d.name });
    } else if (ev.type.endsWith('StateExited')) {
      const entered = back(ev, (e) => isEntered(e) && detailsOf(e).name === d.name);
      const v = entered ? visitOf.get(entered.id) : null;
      if (v) {
        v.output = d.output;
        v.exited = ev.timestamp;
        open.delete(v);
      }
    } else if (FAILURE.test(ev.type)) {
      // A Parallel or Map failed as a whole is that state's failure; any
      // other failure is the one of the innermost state entered before it.
      const group = /^(Parallel|Map)State/.exec(ev.type);
      const entered = back(ev, group ? (e) => e.type === `${group[1]}StateEntered` && open.has(visitOf.get(e.id)) : isEntered);
      const v = entered ? visitOf.get(entered.id) : null;
      if (v) {
        failedAt.set(ev.id, v.name);
        if (!v.failed) {
          v.failed = true;
          v.error = d.error;
          v.cause = d.cause;
          failed.add(v.name);
        }
      }
    } else if (ev.type === 'ExecutionSucceeded') {
      const last = back(ev, isStep);
      if (last) transitions.push({ from: from(last), to: null });
    }
  }
  // A state still open when the execution ended unsuccessfully is where it failed.
  if (status && status !== 'SUCCEEDED' && status !== 'RUNNING') {
    for (const v of open) {
      v.failed = true;
      failed.add(v.name);
    }
  }
  return { visits, failed, transitions };
}
