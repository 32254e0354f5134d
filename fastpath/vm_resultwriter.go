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
// the daemon implements it with Amazon S3, tests in memory.
// Implementations must be safe for concurrent use.
type ResultStore interface {
	// PutObject stores body under bucket and key. A failure that is a
	// *Failure fails the Map as it is; any other error fails it with
	// States.ResultWriterFailed and the error's text as the cause.
	PutObject(ctx context.Context, bucket, key string, body []byte) error
	// CreateObject opens the object bucket/key for writing a piece at a
	// time, so that a result file of any size needs no more memory than
	// the store's buffer (Amazon S3: a multipart upload). Errors are
	// reported as PutObject's are.
	CreateObject(ctx context.Context, bucket, key string) (ObjectWriter, error)
}

// ObjectWriter writes one object of a ResultStore. Write takes the
// object's bytes in order (it may keep them until it has enough to send);
// Close completes the object; Abort discards it. After either, the
// writer is not used again.
type ObjectWriter interface {
	Write(p []byte) (int, error)
	Close() error
	Abort()
}

// MaxResultFileBytes is the most bytes one exported result file holds:
// the results of one status (SUCCEEDED, FAILED, PENDING) that do not fit
// go on to the next file, SUCCEEDED_1.json and so on. AWS names files so
// (SUCCEEDED_0.json, …) but the size at which it goes on was not found in
// its documentation; 5 GB is the largest object Amazon S3 takes in one
// PutObject.
const MaxResultFileBytes = 5_000_000_000

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
	// OutputType is WriterConfig.OutputType: JSON (the default: each
	// exported file is a JSON array) or JSONL (a result a line). The
	// Map's own output, when the results are not exported, is an array
	// either way.
	OutputType string
}

// The ResultWriter OutputTypes.
const (
	OutputJSON  = "JSON"
	OutputJSONL = "JSONL"
)

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
		var kept keptResults
		for i := range inputs {
			kept.add(i, run.appendResult(nil, ',', w.Transformation, i, inputs[i], outputs[i], pol.fails[i], run.stop))
		}
		mark := len(ex.arena)
		ex.arena = kept.appendArray(ex.arena, n, false)
		out = ex.arena[mark:len(ex.arena):len(ex.arena)]
	} else {
		details, err := ex.exportAll(run, w, export, inputs, outputs, pol.fails)
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

// exportAll exports the results of a Map whose iterations have all ended.
func (ex *Execution) exportAll(run *mapRun, w *ResultWriterSpec, params []byte, inputs, outputs [][]byte, fails []*Failure) ([]byte, error) {
	e, err := ex.openExport(w, params)
	if err != nil {
		return nil, err
	}
	e.setRun(run)
	for i := range inputs {
		if err := e.add(i, inputs[i], outputs[i], fails[i], run.stop); err != nil {
			e.abort()
			return nil, err
		}
	}
	return e.close()
}

// resultExport writes a Map Run's results to the ResultStore as they
// come, as AWS lays them out under <Prefix>/<map run id>/: the results
// of the children that succeeded (shaped by the Transformation) in
// SUCCEEDED_0.json, those of the children that failed (with their
// metadata, as NONE) in FAILED_0.json, each file only once it has a
// result and each going on to _1, _2, … past ex's result file size; then
// manifest.json listing them. Nothing of a result stays once it is
// written but the store's buffer. It is not safe for concurrent use.
type resultExport struct {
	ctx         context.Context
	store       ResultStore
	run         *mapRun
	t           string
	jsonl       bool
	bucket, dir string
	maxBytes    int64
	files       [2]resultFile // SUCCEEDED, FAILED
	rec         []byte
}

// resultFile is the files of one status: the one being written and the
// manifest entries of those done.
type resultFile struct {
	kind   string
	next   int // the number of the next file
	w      ObjectWriter
	size   int64  // bytes written to w
	listed []byte // {"Key":…,"Size":…} of each file done, comma-separated
}

// openExport starts an export with the evaluated export parameters
// params, which it checks; setRun names the run before the first result.
func (ex *Execution) openExport(w *ResultWriterSpec, params []byte) (*resultExport, error) {
	if ex.opts.Results == nil {
		return nil, &Failure{Name: ErrResultWriterFailed, Cause: "ResultWriter needs Amazon S3, which this engine does not reach"}
	}
	bucket, prefix, err := exportPlace(params)
	if err != nil {
		return nil, err
	}
	e := &resultExport{ctx: ex.ctx, store: ex.opts.Results, t: w.Transformation, jsonl: w.OutputType == OutputJSONL,
		bucket: bucket, dir: prefix, maxBytes: ex.opts.ResultFileBytes}
	if e.maxBytes <= 0 {
		e.maxBytes = MaxResultFileBytes
	}
	e.files[0].kind, e.files[1].kind = "SUCCEEDED", "FAILED"
	return e, nil
}

// setRun names the run whose results e exports: they go under
// <Prefix>/<map run id>/.
func (e *resultExport) setRun(run *mapRun) {
	e.run = run
	e.dir += run.id + "/"
}

// add writes the result of child i: its output, or its failure f, with
// the input it ran on and when it stopped.
func (e *resultExport) add(i int, input, output []byte, f *Failure, stop time.Time) error {
	file, t := &e.files[0], e.t
	if f != nil {
		file, t = &e.files[1], TransformNone
	}
	sep := byte(',')
	if e.jsonl {
		sep = '\n'
	}
	e.rec = e.run.appendResult(e.rec[:0], sep, t, i, input, output, f, stop)
	if len(e.rec) == 0 {
		return nil // FLATTEN of an empty array
	}
	return file.write(e, e.rec)
}

// write appends rec (one or more results) to the current file, first
// going on to a new file if rec would take it past the size limit.
func (r *resultFile) write(e *resultExport, rec []byte) error {
	if r.w != nil && r.size+int64(len(rec))+2 > e.maxBytes {
		if err := r.finish(e); err != nil {
			return err
		}
	}
	lead := comma // between the elements of a JSON array
	if r.w == nil {
		w, err := e.store.CreateObject(e.ctx, e.bucket, r.key(e))
		if err != nil {
			return err
		}
		r.w, r.size, lead = w, 0, openBracket
	}
	if e.jsonl {
		lead = nil
	}
	if err := r.put(lead); err != nil {
		return err
	}
	if err := r.put(rec); err != nil {
		return err
	}
	if e.jsonl {
		return r.put(newline)
	}
	return nil
}

// The punctuation of result files, as slices that need no allocation.
var (
	comma        = []byte{','}
	openBracket  = []byte{'['}
	closeBracket = []byte{']'}
	newline      = []byte{'\n'}
)

// key is the key of the file being written: SUCCEEDED_0.json, or
// SUCCEEDED_0.jsonl with OutputType JSONL.
func (r *resultFile) key(e *resultExport) string {
	ext := ".json"
	if e.jsonl {
		ext = ".jsonl"
	}
	return e.dir + r.kind + "_" + strconv.Itoa(r.next) + ext
}

func (r *resultFile) put(p []byte) error {
	if len(p) == 0 {
		return nil
	}
	n, err := r.w.Write(p)
	r.size += int64(n)
	return err
}

// finish completes the file being written and lists it.
func (r *resultFile) finish(e *resultExport) error {
	if !e.jsonl {
		if err := r.put(closeBracket); err != nil {
			return err
		}
	}
	w := r.w
	r.w = nil
	if err := w.Close(); err != nil {
		return err
	}
	if len(r.listed) > 0 {
		r.listed = append(r.listed, ',')
	}
	r.listed = append(r.listed, `{"Key":`...)
	r.listed = jsonb.AppendQuotedString(r.listed, r.key(e))
	r.listed = append(r.listed, `,"Size":`...)
	r.listed = strconv.AppendInt(r.listed, r.size, 10)
	r.listed = append(r.listed, '}')
	r.next++
	return nil
}

// abort discards the files being written.
func (e *resultExport) abort() {
	for i := range e.files {
		if r := &e.files[i]; r.w != nil {
			r.w.Abort()
			r.w = nil
		}
	}
}

// close completes the files, writes manifest.json listing them and
// returns the Map's result,
// {"MapRunArn":…,"ResultWriterDetails":{"Bucket":…,"Key":…}}.
func (e *resultExport) close() ([]byte, error) {
	for i := range e.files {
		if r := &e.files[i]; r.w != nil {
			if err := r.finish(e); err != nil {
				e.abort()
				return nil, err
			}
		}
	}
	manifest := append([]byte(`{"DestinationBucket":`), jsonb.AppendQuotedString(nil, e.bucket)...)
	manifest = append(manifest, `,"MapRunArn":`...)
	manifest = jsonb.AppendQuotedString(manifest, e.run.arn)
	manifest = append(manifest, `,"ResultFiles":{"FAILED":[`...)
	manifest = append(manifest, e.files[1].listed...)
	manifest = append(manifest, `],"PENDING":[],"SUCCEEDED":[`...) // no child is ever pending here
	manifest = append(manifest, e.files[0].listed...)
	manifest = append(manifest, "]}}"...)
	key := e.dir + "manifest.json"
	if err := e.store.PutObject(e.ctx, e.bucket, key, manifest); err != nil {
		return nil, err
	}
	out := append([]byte(`{"MapRunArn":`), jsonb.AppendQuotedString(nil, e.run.arn)...)
	out = append(out, `,"ResultWriterDetails":{"Bucket":`...)
	out = jsonb.AppendQuotedString(out, e.bucket)
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

// appendResult appends one child's result shaped by the transformation
// t: its output (COMPACT), the elements of an array output (FLATTEN,
// nothing for an empty array), or the output with the child execution's
// metadata (NONE); a failed child always has its metadata, as with NONE,
// since it has no output. Several values are separated by sep.
func (run *mapRun) appendResult(dst []byte, sep byte, t string, i int, input, output []byte, f *Failure, stop time.Time) []byte {
	switch {
	case f != nil || t == TransformNone:
		return run.appendRecord(dst, i, input, output, f, stop)
	case t == TransformFlatten && jsonb.KindOf(output) == jsonb.KindArray:
		var it jsonb.ArrayIter
		it.Reset(output)
		first := true
		for v, ok := it.Next(); ok; v, ok = it.Next() {
			if !first {
				dst = append(dst, sep)
			}
			dst, first = append(dst, v...), false
		}
		return dst
	}
	return append(dst, output...)
}

// keptResults are the results of a Map that returns them (rather than
// exporting them), in one buffer, each by its iteration's index: the
// text of zero or more array elements.
type keptResults struct {
	buf []byte
	at  [][2]int // at[i] is where result i is in buf; {0, 0} for none
}

// add keeps result i, which is rec; results come in any order, so each
// one is placed by its index.
func (k *keptResults) add(i int, rec []byte) {
	for len(k.at) <= i {
		k.at = append(k.at, [2]int{})
	}
	k.at[i] = [2]int{len(k.buf), len(k.buf) + len(rec)}
	k.buf = append(k.buf, rec...)
}

// size is how many bytes the results take.
func (k *keptResults) size() int { return len(k.buf) }

// appendArray appends the JSON array of n results in index order; an
// index without a result (a failed iteration, whose failure was
// tolerated) is null when nulls is set and left out otherwise.
func (k *keptResults) appendArray(dst []byte, n int, nulls bool) []byte {
	dst = append(dst, '[')
	first := true
	for i := 0; i < n; i++ {
		var rec []byte
		if i < len(k.at) {
			rec = k.buf[k.at[i][0]:k.at[i][1]]
		}
		if len(rec) == 0 && nulls {
			rec = jsonb.Null
		}
		if len(rec) == 0 {
			continue
		}
		if !first {
			dst = append(dst, ',')
		}
		dst, first = append(dst, rec...), false
	}
	return append(dst, ']')
}

// appendRecord appends a child's result with its execution's metadata,
// as DescribeExecution shows it (Transformation NONE).
func (run *mapRun) appendRecord(dst []byte, i int, input, output []byte, f *Failure, stop time.Time) []byte {
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
	dst = appendTime(dst, stop)
	return append(dst, '}')
}
