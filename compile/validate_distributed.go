package compile

import (
	"slices"
	"strings"

	"github.com/stepd/stepd/fastpath"
)

// The fields of a Distributed Map: ItemBatcher, ItemReader, ResultWriter.

var (
	writerFields       = fieldSet("Resource", "Parameters", "Arguments", "WriterConfig")
	writerConfigFields = fieldSet("Transformation", "OutputType")
	writerEnums        = []struct{ field, values string }{
		{"Transformation", "[NONE, COMPACT, FLATTEN]"},
		{"OutputType", "[JSON, JSONL]"},
	}
)

// resultWriter checks a Map's ResultWriter: WriterConfig, or Resource with
// Parameters (JSONPath) or Arguments (JSONata), or all of them.
func (v *validator) resultWriter(w *node, loc string, lang queryLanguage) {
	if w.isObject() && !w.has("WriterConfig") && !w.has("Resource") {
		// Unconfirmed wording.
		v.schema(loc, "The field 'ResultWriter' must have a 'WriterConfig', or a 'Resource' with its parameters")
	}
	v.s3Access(w, loc, lang, writerFields, "WriterConfig", writerConfigFields, writerEnums)
}

// s3Access checks what an ItemReader and a ResultWriter have in common:
// an object of the fields allowed, a string Resource, Parameters or
// Arguments, and the config object named cfgField with its fields and
// enums. It returns the config object, nil when there is none to check.
func (v *validator) s3Access(n *node, loc string, lang queryLanguage, allowed map[string]bool, cfgField string, cfgFields map[string]bool, enums []struct{ field, values string }) *node {
	if !n.isObject() {
		v.schema(loc, "Expected value of type [OBJECT]")
		return nil
	}
	v.unsupported(n, loc, allowed)
	if res := n.get("Resource"); res != nil && !res.isString() {
		v.schema(ptr(loc, "Resource"), "Expected value of type [STRING]")
	}
	v.s3Parameters(n, loc, lang)
	cfg := n.get(cfgField)
	if cfg == nil {
		return nil
	}
	cl := ptr(loc, cfgField)
	if !cfg.isObject() {
		v.schema(cl, "Expected value of type [OBJECT]")
		return nil
	}
	v.unsupported(cfg, cl, cfgFields)
	v.enums(cfg, cl, enums)
	return cfg
}

// enums checks the fields of obj that take one of a fixed set of values,
// each listed "[A, B]" in AWS's order for the message.
func (v *validator) enums(obj *node, loc string, enums []struct{ field, values string }) {
	for _, e := range enums {
		if n := obj.get(e.field); n != nil && (!n.isString() || !slices.Contains(strings.Split(e.values[1:len(e.values)-1], ", "), n.str)) {
			v.schema(ptr(loc, e.field), "Value should be one of the following: "+e.values)
		}
	}
}

// s3Parameters checks the Parameters (JSONPath) or Arguments (JSONata) of
// an ItemReader or ResultWriter.
func (v *validator) s3Parameters(n *node, loc string, lang queryLanguage) {
	for _, f := range [...]string{"Parameters", "Arguments"} {
		p := n.get(f)
		switch {
		case p == nil:
		case f == "Parameters" && lang == jsonata:
			v.schema(loc, "The QueryLanguage is set to 'JSONata', but field 'Parameters' is only supported for the 'JSONPath' QueryLanguage")
		case f == "Arguments" && lang == jsonPath:
			v.schema(loc, "The QueryLanguage is set to 'JSONPath', but field 'Arguments' is only supported for the 'JSONata' QueryLanguage")
		case lang == jsonata:
			v.jsonataValue(p, ptr(loc, f))
		case !p.isObject():
			v.schema(ptr(loc, f), "Expected value of type [OBJECT]")
		default:
			v.template(p, ptr(loc, f))
		}
	}
}

var (
	readerFields       = fieldSet("Resource", "Parameters", "Arguments", "ReaderConfig")
	readerConfigFields = fieldSet("InputType", "CSVHeaderLocation", "CSVHeaders", "CSVDelimiter",
		"MaxItems", "MaxItemsPath", "ManifestType")
	// readerEnums are the ReaderConfig fields with a fixed set of values,
	// in AWS's order for the message.
	readerEnums = []struct{ field, values string }{
		{"InputType", "[CSV, JSON, JSONL, MANIFEST, PARQUET]"},
		{"CSVHeaderLocation", "[FIRST_ROW, GIVEN]"},
		{"CSVDelimiter", "[COMMA, PIPE, SEMICOLON, SPACE, TAB]"},
		{"ManifestType", "[ATHENA_DATA, S3_INVENTORY]"},
	}
)

// itemReader checks a Map's ItemReader: a Resource, Parameters (JSONPath)
// or Arguments (JSONata), and its ReaderConfig.
func (v *validator) itemReader(r *node, loc string, lang queryLanguage) {
	if r.isObject() && !r.has("Resource") {
		v.schema(loc, "These fields are required: [Resource]")
	}
	cfg := v.s3Access(r, loc, lang, readerFields, "ReaderConfig", readerConfigFields, readerEnums)
	if cfg == nil {
		return
	}
	cl := ptr(loc, "ReaderConfig")
	if h := cfg.get("CSVHeaders"); h != nil {
		if !h.isArray() {
			v.schema(ptr(cl, "CSVHeaders"), "Expected value of type [ARRAY]")
		} else {
			for i, e := range h.elems {
				if !e.isString() {
					v.schema(idx(ptr(cl, "CSVHeaders"), i), "Expected value of type [STRING]")
				}
			}
		}
	}
	if n := cfg.get("MaxItems"); n != nil {
		if lang == jsonata && isJSONata(n) {
			v.jsonataString(n.str, ptr(cl, "MaxItems"))
		} else if i, ok := n.integer(); !ok {
			v.schema(ptr(cl, "MaxItems"), "Expected value of type [INTEGER]")
		} else if i < 0 || i > fastpath.MaxItemsLimit {
			v.schema(ptr(cl, "MaxItems"), "Value should be between 0 and 100000000")
		}
	}
	if p := cfg.get("MaxItemsPath"); p != nil {
		if lang == jsonata {
			v.schema(cl, "The QueryLanguage is set to 'JSONata', but field 'MaxItemsPath' is only supported for the 'JSONPath' QueryLanguage")
		} else {
			v.pathField(p, ptr(cl, "MaxItemsPath"), "MaxItemsPath", false, false)
		}
	}
}

var batcherFields = fieldSet("MaxItemsPerBatch", "MaxItemsPerBatchPath", "MaxInputBytesPerBatch",
	"MaxInputBytesPerBatchPath", "BatchInput")

// itemBatcher checks a Map's ItemBatcher: each limit a positive integer,
// a reference path (JSONPath) or an expression (JSONata), and BatchInput
// a payload template or a JSONata value.
func (v *validator) itemBatcher(b *node, loc string, lang queryLanguage) {
	if !b.isObject() {
		v.schema(loc, "Expected value of type [OBJECT]")
		return
	}
	v.unsupported(b, loc, batcherFields)
	for _, f := range [...]string{"MaxItemsPerBatch", "MaxInputBytesPerBatch"} {
		if n := b.get(f); n != nil {
			if lang == jsonata && isJSONata(n) {
				v.jsonataString(n.str, ptr(loc, f))
			} else {
				v.positiveInt(n, ptr(loc, f), 1)
			}
		}
		if p := b.get(f + "Path"); p != nil {
			if lang == jsonata {
				v.schema(loc, "The QueryLanguage is set to 'JSONata', but field '"+f+"Path' is only supported for the 'JSONPath' QueryLanguage")
			} else {
				v.pathField(p, ptr(loc, f+"Path"), f+"Path", false, false)
			}
		}
	}
	if in := b.get("BatchInput"); in != nil {
		switch {
		case lang == jsonata:
			v.jsonataValue(in, ptr(loc, "BatchInput"))
		case !in.isObject():
			v.schema(ptr(loc, "BatchInput"), "Expected value of type [OBJECT]")
		default:
			v.template(in, ptr(loc, "BatchInput"))
		}
	}
}
