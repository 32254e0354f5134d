// Package integrations runs the Task states that call AWS services:
// the optimized integrations (sqs:sendMessage, sns:publish,
// events:putEvents, dynamodb:getItem/putItem/updateItem/deleteItem,
// states:startExecution), the generic aws-sdk:<service>:<action> path and
// nested executions, one file per integration. Requests go through
// daemon/awsclient (endpoints, credentials and signing the AWS SDK way);
// results and errors are shaped as AWS Step Functions shapes them.
package integrations
