// Package console serves stepd's web console under /console/: the state
// machines, each drawn as a graph, their recent executions, one
// execution's path through the graph with each state's input and output,
// the Map Runs of Distributed Maps with their item counts and failed
// children, and the approval inbox of the tasks waiting for an answer.
//
// The console is a static single-page application embedded in the binary
// (dist/, built from web/ by web/build.sh and committed), so it works
// offline and needs no separate server. The browser reads everything
// through the AWS JSON API that stepd already serves (ListStateMachines,
// DescribeStateMachine, ListExecutions, DescribeExecution,
// GetExecutionHistory, ListMapRuns, DescribeMapRun; SendTaskSuccess and
// SendTaskFailure to answer a task) and the REST API's list of waiting
// tasks (GET /v1/tasks), with the caller's bearer token when the API asks
// for one: the console adds no endpoint of its own and sees nothing a
// client of the API could not.
package console
