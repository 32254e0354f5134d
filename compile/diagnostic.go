package compile

import "strings"

// Severity says whether a Diagnostic blocks creation (ERROR) or is advice
// (WARNING), as in AWS's ValidateStateMachineDefinition.
type Severity string

// The severities AWS reports.
const (
	SeverityError   Severity = "ERROR"
	SeverityWarning Severity = "WARNING"
)

// Diagnostic is one problem found in a definition, shaped like an AWS
// ValidateStateMachineDefinition diagnostic.
type Diagnostic struct {
	Severity Severity
	// Code is AWS's diagnostic code, e.g. SCHEMA_VALIDATION_FAILED.
	Code string
	// Message is AWS's message text, without the location.
	Message string
	// Location is a JSON pointer into the definition ("/States/A/Next"), or
	// "" when the problem has no place (AWS reports none).
	Location string
}

// String formats it as "/json/pointer: CODE: message" (the `stepd validate`
// line form, without the file). A diagnostic without a location prints as
// "CODE: message".
func (d Diagnostic) String() string {
	if d.Location == "" {
		return d.Code + ": " + d.Message
	}
	return d.Location + ": " + d.Code + ": " + d.Message
}

// MachineType is EXPRESS or STANDARD; some integrations are valid only in
// STANDARD state machines.
type MachineType string

// The state machine types of CreateStateMachine.
const (
	Express  MachineType = "EXPRESS"
	Standard MachineType = "STANDARD"
)

// Diagnostic codes AWS uses.
const (
	codeSchema           = "SCHEMA_VALIDATION_FAILED"
	codeInvalidJSON      = "INVALID_JSON_DESCRIPTION"
	codeMissingTarget    = "MISSING_TRANSITION_TARGET"
	codeMissingEnd       = "MISSING_END_STATE"
	codeDuplicateState   = "DUPLICATE_STATE_NAME"
	codeInvalidStateName = "INVALID_STATE_NAME"
)

// CreateError formats the ERROR diagnostics of diags as AWS's
// CreateStateMachine InvalidDefinition message. One problem reads
//
//	Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: <message> at <location>'
//
// (a diagnostic without a location says "at null", as AWS does). Several are
// joined with ", " inside the one pair of quotes, as AWS answered for a
// definition with two transition faults (localstack/localstack#12487):
//
//	Invalid State Machine Definition: 'MISSING_TRANSITION_TARGET: Missing 'Next' target: pass3 at /States/pass1/Next, MISSING_TRANSITION_TARGET: State "pass2" is not reachable. at /States/pass2'
//
// It returns "" when diags holds no error.
func CreateError(diags []Diagnostic) string {
	var parts []string
	for _, d := range diags {
		if d.Severity != SeverityError {
			continue
		}
		loc := d.Location
		if loc == "" {
			loc = "null"
		}
		parts = append(parts, d.Code+": "+d.Message+" at "+loc)
	}
	if len(parts) == 0 {
		return ""
	}
	return "Invalid State Machine Definition: '" + strings.Join(parts, ", ") + "'"
}

// hasError reports whether any diagnostic is an error.
func hasError(diags []Diagnostic) bool {
	for _, d := range diags {
		if d.Severity == SeverityError {
			return true
		}
	}
	return false
}
