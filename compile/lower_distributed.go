package compile

import (
	"strings"

	"github.com/stepd/stepd/fastpath"
	"github.com/stepd/stepd/fastpath/jsonb"
)

// The fields of a Distributed Map: ItemReader, ItemBatcher, ResultWriter.
// Their literal values are lowered for both query languages by
// readerSpec, batcherLimits and writerSpec; paths and templates by
// distributedPaths (JSONPath), expressions by distributedQueries
// (JSONata).

// batcherLimits lowers the literal limits of an ItemBatcher; its paths,
// expressions and BatchInput are lowered with the state's other fields of
// its query language.
func batcherLimits(b []byte, ptr string) *fastpath.ItemBatcher {
	ib := &fastpath.ItemBatcher{}
	if v := jsonb.ObjectGet(b, "MaxItemsPerBatch"); v != nil && jsonb.KindOf(v) == jsonb.KindNumber {
		ib.MaxItems = int(intValue(v, ptr+"/MaxItemsPerBatch"))
	}
	if v := jsonb.ObjectGet(b, "MaxInputBytesPerBatch"); v != nil && jsonb.KindOf(v) == jsonb.KindNumber {
		ib.MaxBytes = int(intValue(v, ptr+"/MaxInputBytesPerBatch"))
	}
	return ib
}

// writerSpec lowers the literal parts of a ResultWriter.
func writerSpec(w []byte, ptr string) *fastpath.ResultWriterSpec {
	spec := &fastpath.ResultWriterSpec{Resource: stringField(w, "Resource", ptr), Transformation: fastpath.TransformCompact}
	if spec.Resource != "" {
		if !strings.HasPrefix(spec.Resource, "arn:") || !strings.HasSuffix(spec.Resource, ":states:::s3:putObject") {
			panic(lowerFail(ptr+"/Resource", "The ResultWriter Resource must be arn:aws:states:::s3:putObject"))
		}
		spec.Transformation = fastpath.TransformNone
	}
	cfg, cptr := jsonb.ObjectGet(w, "WriterConfig"), ptr+"/WriterConfig"
	if t := stringField(cfg, "Transformation", cptr); t != "" {
		spec.Transformation = t
	}
	spec.OutputType = fastpath.OutputJSON
	if t := stringField(cfg, "OutputType", cptr); t != "" {
		spec.OutputType = t
	}
	return spec
}

// itemReaderResources are the APIs an ItemReader's Resource may name
// (arn:<partition>:states:::s3:<api>).
var itemReaderResources = []string{":states:::s3:getObject", ":states:::s3:listObjectsV2"}

// readerSpec lowers the literal parts of an ItemReader.
func readerSpec(r []byte, ptr string) *fastpath.ItemReaderSpec {
	spec := &fastpath.ItemReaderSpec{Resource: stringField(r, "Resource", ptr)}
	known := false
	for _, api := range itemReaderResources {
		known = known || strings.HasPrefix(spec.Resource, "arn:") && strings.HasSuffix(spec.Resource, api)
	}
	if !known {
		panic(lowerFail(ptr+"/Resource", "The ItemReader Resource must be arn:aws:states:::s3:getObject or arn:aws:states:::s3:listObjectsV2"))
	}
	cfg, cptr := jsonb.ObjectGet(r, "ReaderConfig"), ptr+"/ReaderConfig"
	if cfg == nil {
		return spec
	}
	c := &spec.Config
	c.InputType = stringField(cfg, "InputType", cptr)
	c.CSVHeaderLocation = stringField(cfg, "CSVHeaderLocation", cptr)
	c.CSVDelimiter = stringField(cfg, "CSVDelimiter", cptr)
	c.ManifestType = stringField(cfg, "ManifestType", cptr)
	var it jsonb.ArrayIter
	it.Reset(jsonb.ObjectGet(cfg, "CSVHeaders"))
	for h, ok := it.Next(); ok; h, ok = it.Next() {
		c.CSVHeaders = append(c.CSVHeaders, stringValue(h, cptr+"/CSVHeaders"))
	}
	if v := jsonb.ObjectGet(cfg, "MaxItems"); v != nil && jsonb.KindOf(v) == jsonb.KindNumber {
		spec.MaxItems = int(min(intValue(v, cptr+"/MaxItems"), fastpath.MaxItemsLimit))
	}
	if c.CSVHeaderLocation == "GIVEN" && len(c.CSVHeaders) == 0 {
		panic(lowerFail(cptr+"/CSVHeaders", "CSVHeaders must name the columns when CSVHeaderLocation is GIVEN"))
	}
	return spec
}

// distributedPaths lowers the paths and templates of a JSONPath Map's
// ItemReader, ResultWriter and ItemBatcher.
func (l *lowerer) distributedPaths(st *fastpath.State, raw []byte, ptr string) {
	if r := jsonb.ObjectGet(raw, "ItemReader"); r != nil {
		rptr := ptr + "/ItemReader"
		st.Reader.Parameters = l.optTemplate(r, "Parameters", rptr)
		if cfg := jsonb.ObjectGet(r, "ReaderConfig"); cfg != nil {
			st.Reader.MaxItemsPath = l.pathField(cfg, "MaxItemsPath", rptr+"/ReaderConfig")
		}
	}
	if w := jsonb.ObjectGet(raw, "ResultWriter"); w != nil {
		st.Writer.Parameters = l.optTemplate(w, "Parameters", ptr+"/ResultWriter")
	}
	if b := jsonb.ObjectGet(raw, "ItemBatcher"); b != nil {
		bptr := ptr + "/ItemBatcher"
		st.Batcher.MaxItemsPath = l.pathField(b, "MaxItemsPerBatchPath", bptr)
		st.Batcher.MaxBytesPath = l.pathField(b, "MaxInputBytesPerBatchPath", bptr)
		st.Batcher.Input = l.optTemplate(b, "BatchInput", bptr)
	}
}

// distributedQueries lowers the expressions of a JSONata Map's
// ItemReader, ResultWriter and ItemBatcher.
func (l *lowerer) distributedQueries(js *fastpath.JSONata, raw []byte, ptr string) {
	if r := jsonb.ObjectGet(raw, "ItemReader"); r != nil {
		rptr := ptr + "/ItemReader"
		js.ReaderArguments = l.query(r, "Arguments", rptr, js)
		if cfg := jsonb.ObjectGet(r, "ReaderConfig"); cfg != nil {
			js.ReaderMaxItems = l.exprField(cfg, "MaxItems", rptr+"/ReaderConfig", js)
		}
	}
	if w := jsonb.ObjectGet(raw, "ResultWriter"); w != nil {
		js.WriterArguments = l.query(w, "Arguments", ptr+"/ResultWriter", js)
	}
	if b := jsonb.ObjectGet(raw, "ItemBatcher"); b != nil {
		bptr := ptr + "/ItemBatcher"
		js.BatchMaxItems = l.exprField(b, "MaxItemsPerBatch", bptr, js)
		js.BatchMaxBytes = l.exprField(b, "MaxInputBytesPerBatch", bptr, js)
		js.BatchInput = l.query(b, "BatchInput", bptr, js)
	}
}
