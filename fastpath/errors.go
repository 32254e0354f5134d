package fastpath

// The error names AWS Step Functions defines (States Language, "Errors").
// The VM raises them by these exact strings; Retry and Catch match on them.
const (
	ErrALL                             = "States.ALL"
	ErrRuntime                         = "States.Runtime"
	ErrTimeout                         = "States.Timeout"
	ErrTaskFailed                      = "States.TaskFailed"
	ErrPermissions                     = "States.Permissions"
	ErrDataLimitExceeded               = "States.DataLimitExceeded"
	ErrResultPathMatchFailure          = "States.ResultPathMatchFailure"
	ErrParameterPathFailure            = "States.ParameterPathFailure"
	ErrBranchFailed                    = "States.BranchFailed"
	ErrNoChoiceMatched                 = "States.NoChoiceMatched"
	ErrIntrinsicFailure                = "States.IntrinsicFailure"
	ErrExceedToleratedFailureThreshold = "States.ExceedToleratedFailureThreshold"
	ErrItemReaderFailed                = "States.ItemReaderFailed"
	ErrResultWriterFailed              = "States.ResultWriterFailed"
	ErrHeartbeatTimeout                = "States.HeartbeatTimeout"
	ErrQueryEvaluationError            = "States.QueryEvaluationError"
)

// Failure is an ASL error: a name that Retry and Catch match and a
// human-readable cause. It is what a failed state, and a failed execution,
// reports. Runtime errors raised while evaluating an expression carry the
// bare message; the VM prefixes it with the state and event id as AWS does.
type Failure struct {
	Name  string
	Cause string
	// noName and noCause mark a Fail state without Error or Cause: AWS
	// then reports no such field rather than an empty one.
	noName, noCause bool
}

func (f *Failure) Error() string { return f.Name + ": " + f.Cause }

// Resolver evaluates a path against the root it names (the effective input,
// the context object or a variable) during one execution. It appends to dst
// only when the path is indefinite or the root must be built; val is nil when
// a definite path selects nothing. The VM implements it; intrinsic functions
// and Choice rules take it so they never see the execution's internals.
type Resolver interface {
	Resolve(p *Path, dst []byte) (val, out []byte)
}
