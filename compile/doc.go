// Package compile turns Amazon States Language definitions into fastpath
// programs. Validate checks a definition the way AWS Step Functions does at
// CreateStateMachine and ValidateStateMachineDefinition, and reports every
// problem as a Diagnostic with AWS's code, JSON-pointer location and message.
package compile
