package fastpath

import (
	"github.com/stepd/stepd/fastpath/jsonb"

	"context"
	"slices"
	"strconv"
	"strings"
	"time"
)

// ResultStore receives the files a Distributed Map's ResultWriter exports:
// the daemon implements it with Amazon S3's PutObject, tests in memory.
// Implementations must be safe for concurrent use.
type ResultStore interface {
	// PutObject stores body under bucket and key. A failure that is a
	// *Failure fails the Map as it is; any other error fails it with
	// States.ResultWriterFailed and the error's text as the cause.
	PutObject(ctx context.Context, bucket, key string, body []byte) error
}

// ResultWriterSpec is a Map state's compiled ResultWriter.
type ResultWriterSpec struct {
	// Transformation is WriterConfig.Transformation: NONE (each result
	// with its child execution's metadata), COMPACT (the outputs) or
	// FLATTEN (the outputs, arrays spliced). Without a WriterConfig it is
	// NONE for an export and COMPACT otherwise.
	Transformation string
	// Resource is the export's Resource (arn:aws:states:::s3:putObject),
	// "" when the results are not exported.
	Resource string
	// Parameters is the export's Parameters template (JSONPath); a
	// JSONata Arguments is JSONata.WriterArguments.
	Parameters *Template
}

// The ResultWriter Transformations.
const (
	TransformNone    = "NONE"
	TransformCompact = "COMPACT"
	TransformFlatten = "FLATTEN"
)

// mapRun is what the ResultWriter writes of a Map Run: the names of the
// run and of its children, as AWS shapes their ARNs, and when it ran.
type mapRun struct {
	r           *MapRun
	arn, id     string
	machine     string // the children's StateMachineArn
	execPrefix  string // the children's ExecutionArn up to their name
	start, stop time.Time
}

// mapRunOf names r for the ResultWriter.
func mapRunOf(r *MapRun) *mapRun {
	return &mapRun{r: r, arn: r.Arn, id: r.ID, machine: r.StateMachineArn, execPrefix: r.childPrefix, start: r.Start, stop: r.State().Stop}
}

// resultWriterFailed is a failure to export a Map's results.
func resultWriterFailed(err error) *Failure {
	if f, ok := err.(*Failure); ok {
		return f
	}
	return &Failure{Name: ErrResultWriterFailed, Cause: err.Error()}
}

// writerParams evaluates the export's Parameters against eff: nil when
// the Map does not export its results.
func (ex *Execution) writerParams(st *State, eff []byte) ([]byte, *Failure) {
	if st.Writer == nil || st.Writer.Resource == "" {
		return nil, nil
	}
	if st.Writer.Parameters == nil {
		return jsonb.EmptyObject, nil
	}
	return ex.template(st.Writer.Parameters, eff)
}

// mapResults runs the n iterations of a Map with a ResultWriter, whose
// inputs are ex.spans[base:], and returns the Map's result: the
// transformed results, or (when export holds the evaluated export
// parameters) where the export put them.
func (ex *Execution) mapResults(st *State, base, n int, pol branchPolicy, export []byte) ([]byte, *Failure) {
	inputs := slices.Clone(ex.spans[base : base+n]) // spans of the arena, which only grows
	pol.fails = make([]*Failure, n)
	r, f := ex.runIterations(st, base, n, pol)
	if f != nil {
		ex.emitFailure(EventMapStateFailed, st, f)
		return nil, f
	}
	run := mapRunOf(r)
	outputs := ex.spans[base : base+n]
	w := st.Writer
	var out []byte
	if export == nil {
		mark := len(ex.arena)
		ex.arena = run.appendResults(ex.arena, w.Transformation, inputs, outputs, pol.fails, allChildren)
		out = ex.arena[mark:len(ex.arena):len(ex.arena)]
	} else {
		details, err := ex.export(run, w, export, inputs, outputs, pol.fails)
		if err != nil {
			ex.popSpans(base)
			f := resultWriterFailed(err)
			ex.emitFailure(EventMapStateFailed, st, f)
			return nil, f
		}
		mark := len(ex.arena)
		ex.arena = append(ex.arena, details...)
		out = ex.arena[mark:len(ex.arena):len(ex.arena)]
	}
	ex.popSpans(base)
	if f := ex.checkArena(); f != nil {
		return nil, f
	}
	ex.events++ // MapStateSucceeded
	ex.emit(EventMapStateSucceeded, st, nil)
	return out, nil
}

// export writes the results as AWS lays them out under
// <Prefix>/<map run id>/: SUCCEEDED_0.json (the transformed results of
// the children that succeeded) and FAILED_0.json (those that failed,
// with their metadata), each only when it has results, then
// manifest.json listing them. It returns the Map's result,
// {"MapRunArn":…,"ResultWriterDetails":{"Bucket":…,"Key":…}}.
func (ex *Execution) export(run *mapRun, w *ResultWriterSpec, params []byte, inputs, outputs [][]byte, fails []*Failure) ([]byte, error) {
	store := ex.opts.Results
	if store == nil {
		return nil, &Failure{Name: ErrResultWriterFailed, Cause: "ResultWriter needs Amazon S3, which this engine does not reach"}
	}
	bucket, prefix, err := exportPlace(params)
	if err != nil {
		return nil, err
	}
	dir := prefix + run.id + "/"
	manifest := append([]byte(`{"DestinationBucket":`), jsonb.AppendQuotedString(nil, bucket)...)
	manifest = append(manifest, `,"MapRunArn":`...)
	manifest = jsonb.AppendQuotedString(manifest, run.arn)
	manifest = append(manifest, `,"ResultFiles":{"FAILED":[`...)
	for _, kind := range [...]string{"FAILED", "PENDING", "SUCCEEDED"} {
		if kind != "FAILED" {
			manifest = append(manifest, `],"`+kind+`":[`...)
		}
		var body []byte
		switch kind {
		case "FAILED":
			body = run.appendResults(nil, TransformNone, inputs, outputs, fails, failedChildren)
		case "SUCCEEDED":
			body = run.appendResults(nil, w.Transformation, inputs, outputs, fails, succeededChildren)
		}
		if len(body) <= 2 { // [] (no child is ever pending here)
			continue
		}
		key := dir + kind + "_0.json"
		if err := store.PutObject(ex.ctx, bucket, key, body); err != nil {
			return nil, err
		}
		manifest = append(manifest, `{"Key":`...)
		manifest = jsonb.AppendQuotedString(manifest, key)
		manifest = append(manifest, `,"Size":`...)
		manifest = strconv.AppendInt(manifest, int64(len(body)), 10)
		manifest = append(manifest, '}')
	}
	manifest = append(manifest, "]}}"...)
	key := dir + "manifest.json"
	if err := store.PutObject(ex.ctx, bucket, key, manifest); err != nil {
		return nil, err
	}
	out := append([]byte(`{"MapRunArn":`), jsonb.AppendQuotedString(nil, run.arn)...)
	out = append(out, `,"ResultWriterDetails":{"Bucket":`...)
	out = jsonb.AppendQuotedString(out, bucket)
	out = append(out, `,"Key":`...)
	out = jsonb.AppendQuotedString(out, key)
	return append(out, "}}"...), nil
}

// exportPlace reads Bucket and Prefix from the export parameters; a
// Prefix gets a trailing slash.
func exportPlace(params []byte) (bucket, prefix string, err error) {
	var it jsonb.ObjectIter
	it.Reset(params)
	for k, v, ok := it.Next(); ok; k, v, ok = it.Next() {
		name := string(jsonb.AppendUnquoted(nil, k))
		if jsonb.KindOf(v) != jsonb.KindString || (name != "Bucket" && name != "Prefix") {
			return "", "", &Failure{Name: ErrResultWriterFailed, Cause: "The ResultWriter parameter " + name + " is not supported by this engine yet; Bucket and Prefix must be strings"}
		}
		s := string(jsonb.AppendUnquoted(nil, v))
		if name == "Bucket" {
			bucket = s
		} else {
			prefix = s
		}
	}
	if bucket == "" {
		return "", "", &Failure{Name: ErrResultWriterFailed, Cause: "The ResultWriter parameters must name a Bucket"}
	}
	if prefix != "" && !strings.HasSuffix(prefix, "/") {
		prefix += "/"
	}
	return bucket, prefix, nil
}

// Which children's results appendResults appends.
const (
	allChildren = iota
	succeededChildren
	failedChildren
)

// appendResults appends the JSON array of the results of the children
// which selects, shaped by the transformation t. A failed child always
// has its metadata (as with NONE), since it has no output.
func (run *mapRun) appendResults(dst []byte, t string, inputs, outputs [][]byte, fails []*Failure, which int) []byte {
	dst = append(dst, '[')
	first := true
	sep := func() {
		if !first {
			dst = append(dst, ',')
		}
		first = false
	}
	for i := range inputs {
		if which == succeededChildren && fails[i] != nil || which == failedChildren && fails[i] == nil {
			continue
		}
		switch {
		case fails[i] != nil || t == TransformNone:
			sep()
			dst = run.appendRecord(dst, i, inputs[i], outputs[i], fails[i])
		case t == TransformFlatten && jsonb.KindOf(outputs[i]) == jsonb.KindArray:
			if elems := outputs[i][1 : len(outputs[i])-1]; len(elems) > 0 { // compact: the elements' text
				sep()
				dst = append(dst, elems...)
			}
		default:
			sep()
			dst = append(dst, outputs[i]...)
		}
	}
	return append(dst, ']')
}

// appendRecord appends child i's result with its execution's metadata,
// as DescribeExecution shows it (Transformation NONE).
func (run *mapRun) appendRecord(dst []byte, i int, input, output []byte, f *Failure) []byte {
	child := childExecution{run: run.r, index: i}
	name := child.appendName(nil)
	dst = append(dst, `{"ExecutionArn":`...)
	dst = jsonb.AppendQuotedString(dst, run.execPrefix+string(name))
	dst = append(dst, `,"Input":`...)
	dst = jsonb.AppendQuoted(dst, input)
	dst = append(dst, `,"InputDetails":{"Included":true},"Name":`...)
	dst = jsonb.AppendQuoted(dst, name)
	if f == nil {
		dst = append(dst, `,"Output":`...)
		dst = jsonb.AppendQuoted(dst, output)
		dst = append(dst, `,"OutputDetails":{"Included":true},"RedriveCount":0,"RedriveStatus":"NOT_REDRIVABLE","RedriveStatusReason":"Execution is SUCCEEDED and cannot be redriven"`...)
	} else {
		dst = append(dst, `,"Error":`...)
		dst = jsonb.AppendQuotedString(dst, f.Name)
		dst = append(dst, `,"Cause":`...)
		dst = jsonb.AppendQuotedString(dst, f.Cause)
		dst = append(dst, `,"RedriveCount":0,"RedriveStatus":"REDRIVABLE_BY_MAP_RUN"`...)
	}
	dst = append(dst, `,"StartDate":`...)
	dst = appendTime(dst, run.start)
	dst = append(dst, `,"StateMachineArn":`...)
	dst = jsonb.AppendQuotedString(dst, run.machine)
	status := "SUCCEEDED"
	if f != nil {
		status = "FAILED"
	}
	dst = append(dst, `,"Status":"`+status+`","StopDate":`...)
	dst = appendTime(dst, run.stop)
	return append(dst, '}')
}
