// Package integrations runs the Task states of stepd's executions: one
// file per AWS service integration (lambda.go, http.go, sqs.go, sns.go,
// events.go, dynamodb.go, s3.go, awssdk.go for aws-sdk:*, nested.go for
// states:startExecution), the Router that sends each Task to the
// integration its Resource names, their config, and the Step Functions
// Local mock config that stands in for any of them. Calls to AWS services
// go through daemon/awsclient (endpoints, credentials and signing the AWS
// SDK way); results and errors are shaped as AWS Step Functions shapes
// them. It implements fastpath.Invoker and knows nothing of the server:
// nested executions reach the node's own API through the StepFunctions
// interface the daemon supplies.
package integrations
