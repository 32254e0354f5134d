// Package integrations runs the Task states of stepd's executions: one
// file per AWS service integration (lambda.go, http.go), the Router that
// sends each Task to the integration its Resource names, their config,
// and the Step Functions Local mock config that stands in for any of them.
// It implements fastpath.Invoker and knows nothing of the server.
package integrations
