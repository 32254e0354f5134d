package fastpath

import (
	"github.com/stepd/stepd/fastpath/jsonb"

	"context"
	"io"
	"math"
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

// readItems reads at most maxItems items from the Map's ItemReader, with
// the evaluated parameters params, into a JSON array in the arena.
func (ex *Execution) readItems(st *State, params []byte, maxItems int) ([]byte, *Failure) {
	if ex.opts.Items == nil {
		return nil, itemReaderFailed("ItemReader needs Amazon S3, which this engine does not reach")
	}
	if maxItems == 0 {
		maxItems = MaxItemsLimit
	}
	stream, err := ex.opts.Items.OpenItems(ex.ctx, &ItemsRequest{Resource: st.Reader.Resource, Parameters: params, Config: &st.Reader.Config})
	if err != nil {
		return nil, readerFailure(err)
	}
	mark := len(ex.arena)
	ex.arena = append(ex.arena, '[')
	for n := 0; n < maxItems; n++ {
		before := len(ex.arena)
		if n > 0 {
			ex.arena = append(ex.arena, ',')
		}
		var out []byte
		out, err = stream.Next(ex.arena)
		if err == io.EOF {
			ex.arena = ex.arena[:before]
			break
		}
		if err == nil {
			ex.arena = out
			if f := ex.checkArena(); f != nil {
				err = f
			}
		}
		if err != nil {
			stream.Close()
			ex.arena = ex.arena[:mark]
			return nil, readerFailure(err)
		}
	}
	if err := stream.Close(); err != nil {
		ex.arena = ex.arena[:mark]
		return nil, readerFailure(err)
	}
	ex.arena = append(ex.arena, ']')
	return ex.arena[mark:len(ex.arena):len(ex.arena)], nil
}

// readerFailure is the Map failure for an ItemReader error.
func readerFailure(err error) *Failure {
	if f, ok := err.(*Failure); ok {
		return f
	}
	return itemReaderFailed(err.Error())
}

// mapReaderItems reads the items of a JSONPath Map's ItemReader, with its
// Parameters and MaxItems(Path) evaluated against eff.
func (ex *Execution) mapReaderItems(st *State, eff []byte) ([]byte, *Failure) {
	params := jsonb.EmptyObject
	var f *Failure
	if st.Reader.Parameters != nil {
		if params, f = ex.template(st.Reader.Parameters, eff); f != nil {
			return nil, f
		}
	}
	maxItems, f := ex.readerMaxItems(st.Reader, eff)
	if f != nil {
		return nil, f
	}
	return ex.readItems(st, params, maxItems)
}

// queryReaderItems reads the items of a JSONata Map's ItemReader.
func (ex *Execution) queryReaderItems(st *State, env *queryEnv) ([]byte, *Failure) {
	js := st.JSONata
	params := jsonb.EmptyObject
	var f *Failure
	if js.ReaderArguments != nil {
		if params, f = ex.evalQuery(js.ReaderArguments, env); f != nil {
			return nil, f
		}
	}
	maxItems := st.Reader.MaxItems
	if js.ReaderMaxItems != nil {
		n, f := ex.queryNumber(js.ReaderMaxItems, env, true)
		if f != nil {
			return nil, f
		}
		if maxItems, f = checkMaxItems(n); f != nil {
			return nil, f
		}
	}
	return ex.readItems(st, params, maxItems)
}
