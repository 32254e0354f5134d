package fastpath

import (
	"github.com/stepd/stepd/fastpath/jsonb"

	"context"
	"io"
	"math"
	"sync"
)

// ItemReader opens the items of a Distributed Map's ItemReader. It is the
// VM's door to item sources outside the execution: the daemon implements
// it with Amazon S3, tests in memory (package fastpath/items has the
// parsers both use). Implementations must be safe for concurrent use.
type ItemReader interface {
	// OpenItems returns the stream of the items req names. A failure that
	// is a *Failure fails the Map as it is; any other error fails it with
	// States.ItemReaderFailed and the error's text as the cause.
	OpenItems(ctx context.Context, req *ItemsRequest) (ItemStream, error)
}

// ItemStream yields the items of one ItemReader, in order.
type ItemStream interface {
	// Next appends the next item's compact JSON to dst and returns it;
	// after the last item it returns dst and io.EOF. Errors are reported
	// as OpenItems's are.
	Next(dst []byte) ([]byte, error)
	// Close releases the stream; the VM calls it once, after the last
	// Next.
	Close() error
}

// ItemsRequest is what a Map asks its ItemReader for.
type ItemsRequest struct {
	// Resource is the ItemReader's Resource:
	// arn:aws:states:::s3:getObject or arn:aws:states:::s3:listObjectsV2.
	Resource string
	// Parameters is the evaluated Parameters (JSONPath) or Arguments
	// (JSONata) object, e.g. {"Bucket":…,"Key":…}. It belongs to the
	// execution and is valid until OpenItems returns.
	Parameters []byte
	// Config is the ItemReader's ReaderConfig.
	Config *ReaderConfig
}

// ReaderConfig is a compiled ItemReader's ReaderConfig.
type ReaderConfig struct {
	// InputType is JSON, JSONL, CSV or MANIFEST; "" for listObjectsV2.
	InputType string
	// CSVHeaderLocation is FIRST_ROW (the default) or GIVEN, with the
	// column names in CSVHeaders.
	CSVHeaderLocation string
	CSVHeaders        []string
	// CSVDelimiter is COMMA (the default), PIPE, SEMICOLON, SPACE or TAB.
	CSVDelimiter string
	// ManifestType is ATHENA_DATA or S3_INVENTORY when the object is a
	// manifest listing the files that hold the items.
	ManifestType string
}

// ItemReaderSpec is a Map state's compiled ItemReader.
type ItemReaderSpec struct {
	Resource string
	// Parameters is the JSONPath Parameters template (a JSONata
	// Arguments is JSONata.ReaderArguments).
	Parameters *Template
	Config     ReaderConfig
	// MaxItems limits how many items are read, 0 for AWS's limit of
	// MaxItemsLimit; MaxItemsPath (JSONPath) or JSONata.ReaderMaxItems
	// replace it.
	MaxItems     int
	MaxItemsPath *Path
}

// MaxItemsLimit is the most items AWS reads for one Distributed Map: a
// larger MaxItems is taken as this.
const MaxItemsLimit = 100_000_000

// itemReaderFailed is a Map failure while reading its items: AWS reports
// the cause alone, without the state preamble (dmap cases
// map_item_reader_json_no_json_list_object, …_max_items_paths[-1]).
func itemReaderFailed(cause string) *Failure {
	return &Failure{Name: ErrItemReaderFailed, Cause: cause}
}

// readerMaxItems resolves MaxItems or MaxItemsPath against eff.
func (ex *Execution) readerMaxItems(spec *ItemReaderSpec, eff []byte) (int, *Failure) {
	if spec.MaxItemsPath == nil {
		return spec.MaxItems, nil
	}
	v, f := ex.pathValue(spec.MaxItemsPath, eff)
	if f != nil {
		return 0, f
	}
	n, ok := jsonb.ParseNumber(v)
	if jsonb.KindOf(v) != jsonb.KindNumber || !ok || n != math.Trunc(n) {
		return 0, itemReaderFailed("The MaxItemsPath field refers to value '" + displayValue(v) + "' which is not a valid integer: " + spec.MaxItemsPath.Text)
	}
	return checkMaxItems(n)
}

// checkMaxItems turns a MaxItems value into a limit: negative values
// fail, 0 and values past MaxItemsLimit mean MaxItemsLimit.
func checkMaxItems(n float64) (int, *Failure) {
	if n < 0 {
		return 0, itemReaderFailed("field MaxItems must be positive")
	}
	if n == 0 || n > MaxItemsLimit {
		return MaxItemsLimit, nil
	}
	return int(n), nil
}

// openItems opens the stream of the Map's ItemReader with the evaluated
// parameters params.
func (ex *Execution) openItems(st *State, params []byte) (ItemStream, *Failure) {
	if ex.opts.Items == nil {
		return nil, itemReaderFailed("ItemReader needs Amazon S3, which this engine does not reach")
	}
	stream, err := ex.opts.Items.OpenItems(ex.ctx, &ItemsRequest{Resource: st.Reader.Resource, Parameters: params, Config: &st.Reader.Config})
	if err != nil {
		return nil, readerFailure(err)
	}
	return stream, nil
}

// readerFailure is the Map failure for an ItemReader error.
func readerFailure(err error) *Failure {
	if f, ok := err.(*Failure); ok {
		return f
	}
	return itemReaderFailed(err.Error())
}

// mapReaderItems opens the items of a JSONPath Map's ItemReader, with its
// Parameters and MaxItems(Path) evaluated against eff, and returns the
// stream and how many items to read of it.
func (ex *Execution) mapReaderItems(st *State, eff []byte) (ItemStream, int, *Failure) {
	params := jsonb.EmptyObject
	var f *Failure
	if st.Reader.Parameters != nil {
		if params, f = ex.template(st.Reader.Parameters, eff); f != nil {
			return nil, 0, f
		}
	}
	maxItems, f := ex.readerMaxItems(st.Reader, eff)
	if f != nil {
		return nil, 0, f
	}
	stream, f := ex.openItems(st, params)
	return stream, maxItems, f
}

// queryReaderItems opens the items of a JSONata Map's ItemReader.
func (ex *Execution) queryReaderItems(st *State, env *queryEnv) (ItemStream, int, *Failure) {
	js := st.JSONata
	params := jsonb.EmptyObject
	var f *Failure
	if js.ReaderArguments != nil {
		if params, f = ex.evalQuery(js.ReaderArguments, env); f != nil {
			return nil, 0, f
		}
	}
	maxItems := st.Reader.MaxItems
	if js.ReaderMaxItems != nil {
		n, f := ex.queryNumber(js.ReaderMaxItems, env, true)
		if f != nil {
			return nil, 0, f
		}
		if maxItems, f = checkMaxItems(n); f != nil {
			return nil, 0, f
		}
	}
	stream, f := ex.openItems(st, params)
	return stream, maxItems, f
}

// mapStream runs a Distributed Map over the items of stream (at most
// maxItems of them), reading them as its iterations go (see itemFeed),
// and returns its result: the results in item order, or where the
// ResultWriter exported them (export holds the evaluated export
// parameters, nil when there is no export).
func (ex *Execution) mapStream(st *State, stream ItemStream, maxItems int, sel *itemSelector, lim *batchLimits, pol branchPolicy, export []byte) ([]byte, *Failure) {
	if maxItems == 0 {
		maxItems = MaxItemsLimit
	}
	feed := &itemFeed{ex: ex, st: st, stream: stream, maxItems: maxItems, lim: lim,
		mark: len(ex.arena), writer: st.Writer}
	if sel != nil {
		feed.sel, feed.hasSel = *sel, true // a copy: sel stays on its caller's stack
	}
	defer feed.close()
	if export != nil {
		e, err := ex.openExport(st.Writer, export)
		if err != nil {
			f := resultWriterFailed(err)
			ex.emitFailure(EventMapStateFailed, st, f)
			return nil, f
		}
		feed.export = e
	}
	pol.n = -1 // not known until the last item is read
	if _, f := ex.runMapRun(st, feed, pol, -1); f != nil {
		ex.emitFailure(EventMapStateFailed, st, f)
		return nil, f
	}
	if f := ex.checkArena(); f != nil {
		return nil, f
	}
	ex.events++ // MapStateSucceeded
	ex.emit(EventMapStateSucceeded, st, nil)
	return feed.out, nil
}

// itemFeed is the branchFeed of a Distributed Map whose items come from
// its ItemReader. It reads them one at a time as iterations start (at
// most MaxConcurrency at once), and each result goes, as its iteration
// ends, to the ResultWriter's export (and is not kept) or to the results
// kept for the Map's output. So a Map over any number of items holds the
// inputs of the iterations running, a read buffer and, when it returns
// its results, those results (which AWS caps at 256 KiB anyway).
type itemFeed struct {
	ex       *Execution
	st       *State
	stream   ItemStream
	maxItems int
	read     int // items read
	eof      bool
	sel      itemSelector
	hasSel   bool // sel is the Map's ItemSelector
	lim      *batchLimits
	mark     int    // next uses ex's arena past this, for ItemSelector
	item     []byte // the item last read
	pending  []byte // an input read ahead that did not fit in the last batch
	hasNext  bool   // pending holds one
	n        int    // iterations handed out

	mu   sync.Mutex
	free [][]byte // the input buffers of iterations that ended

	mapRun *MapRun           // counts the items as they are read
	run    *mapRun           // names the children in the results
	writer *ResultWriterSpec // nil: the outputs themselves are the results
	export *resultExport     // nil: the results are kept
	kept   keptResults
	rec    []byte // one result shaped by the writer's Transformation
	out    []byte // the Map's result, set by end
}

// nextItem reads the next item and makes the input of its iteration (or
// of its place in a batch) of it, in ex's arena past f.mark or in f.item.
func (f *itemFeed) nextItem() ([]byte, bool, *Failure) {
	if f.eof || f.read >= f.maxItems {
		return nil, false, nil
	}
	var err error
	f.item, err = f.stream.Next(f.item[:0])
	if err == io.EOF {
		f.eof = true
		return nil, false, nil
	}
	if err != nil {
		return nil, false, readerFailure(err)
	}
	i := f.read
	f.read++
	if !f.hasSel {
		return f.item, true, nil
	}
	in, fl := f.ex.selectItem(f.st, &f.sel, i, f.item)
	return in, fl == nil, fl
}

func (f *itemFeed) startRun(run *MapRun) {
	f.mapRun, f.run = run, mapRunOf(run)
	if f.export != nil {
		f.export.setRun(f.run)
	}
}

// queued counts an iteration of items items in the Map Run.
func (f *itemFeed) queued(items int) {
	f.n++
	if f.mapRun != nil {
		f.mapRun.childQueued(items)
	}
}

func (f *itemFeed) next(i int) ([]byte, int, bool, *Failure) {
	f.ex.truncate(f.mark)
	buf := f.buffer()
	if f.lim == nil {
		in, ok, fl := f.nextItem()
		if !ok {
			f.release(buf)
			return nil, 0, false, fl
		}
		f.queued(1)
		return append(buf, in...), 1, true, nil
	}
	buf = f.lim.appendStart(buf)
	maxBytes := f.lim.maxBytes()
	count := 0
	for f.lim.items == 0 || count < f.lim.items {
		in := f.pending
		if f.hasNext {
			f.hasNext = false
		} else {
			var ok bool
			var fl *Failure
			if in, ok, fl = f.nextItem(); !ok {
				if fl != nil {
					f.release(buf)
					return nil, 0, false, fl
				}
				break
			}
		}
		if batchSize(len(buf), len(in), count) > maxBytes {
			if count == 0 {
				f.release(buf)
				return nil, 0, false, f.ex.batchTooLarge(f.read-1, maxBytes)
			}
			f.pending, f.hasNext = append(f.pending[:0], in...), true
			break
		}
		buf = appendBatchItem(buf, in, count)
		count++
	}
	if count == 0 {
		f.release(buf)
		return nil, 0, false, nil
	}
	f.queued(count)
	return append(buf, "]}"...), count, true, nil
}

// buffer returns an input buffer, empty.
func (f *itemFeed) buffer() []byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	if n := len(f.free); n > 0 {
		b := f.free[n-1]
		f.free = f.free[:n-1]
		return b[:0]
	}
	return nil
}

// release gives an input buffer back.
func (f *itemFeed) release(b []byte) {
	if b == nil || cap(b) > 1<<20 { // do not keep one huge batch's buffer
		return
	}
	f.mu.Lock()
	f.free = append(f.free, b)
	f.mu.Unlock()
}

func (f *itemFeed) done(i int, in, out []byte, fl *Failure) *Failure {
	defer f.release(in)
	switch {
	case f.export != nil:
		if err := f.export.add(i, in, out, fl, f.ex.clock.Now()); err != nil {
			return resultWriterFailed(err)
		}
		return nil
	case f.writer != nil:
		f.rec = f.run.appendResult(f.rec[:0], ',', f.writer.Transformation, i, in, out, fl, f.ex.clock.Now())
		f.kept.add(i, f.rec)
	case fl == nil:
		f.kept.add(i, out)
	}
	if f.kept.size() > 16*f.ex.maxBytes {
		return f.ex.dataLimit() // far more than the state's result may be
	}
	return nil
}

func (f *itemFeed) end() *Failure {
	ex := f.ex
	ex.truncate(f.mark)
	err := f.stream.Close()
	f.stream = nil
	if err != nil {
		return readerFailure(err)
	}
	if f.export != nil {
		details, err := f.export.close()
		f.export = nil
		if err != nil {
			return resultWriterFailed(err)
		}
		ex.arena = append(ex.arena, details...)
	} else {
		ex.arena = f.kept.appendArray(ex.arena, f.n, f.writer == nil)
	}
	f.out = ex.arena[f.mark:len(ex.arena):len(ex.arena)]
	return nil
}

// close closes the stream and discards an export that did not end.
func (f *itemFeed) close() {
	if f.stream != nil {
		f.stream.Close()
	}
	if f.export != nil {
		f.export.abort()
	}
}
