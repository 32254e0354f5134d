package compile

import (
	"github.com/stepd/stepd/fastpath"
	"github.com/stepd/stepd/fastpath/jsonb"
)

// DefinitionError is a definition that Validate rejected. Its message is
// AWS's CreateStateMachine InvalidDefinition text.
type DefinitionError struct {
	Diagnostics []Diagnostic
}

func (e *DefinitionError) Error() string { return CreateError(e.Diagnostics) }

// Compile validates an ASL definition for a state machine of type typ and
// lowers it to a program the fastpath VM runs. A definition with errors
// yields a *DefinitionError holding every diagnostic (warnings included)
// and no program.
func Compile(definition []byte, typ MachineType) (*fastpath.Program, error) {
	return compileDefinition(definition, typ, nil)
}

func compileDefinition(definition []byte, typ MachineType, test *testConfig) (*fastpath.Program, error) {
	diags := Validate(definition, typ)
	if hasError(diags) {
		return nil, &DefinitionError{Diagnostics: diags}
	}
	def, err := jsonb.Compact(nil, definition, jsonb.MaxDepth)
	if err != nil {
		return nil, err
	}
	prog, err := lower(def, typ, test)
	if err != nil {
		le := err.(*LowerError)
		return nil, &DefinitionError{Diagnostics: []Diagnostic{{Severity: SeverityError, Code: le.Code, Message: le.Msg, Location: le.Pointer}}}
	}
	return prog, nil
}
