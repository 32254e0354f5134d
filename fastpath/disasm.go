package fastpath

import (
	"strconv"
	"strings"
)

// Disassemble returns a readable listing of the program: one block a
// state, with its index, kind, name, transitions and every compiled field.
// Golden tests compare it, and `stepd validate -dump` prints it, so that
// users can see what the compiler made of their definition.
func (p *Program) Disassemble() string {
	var b strings.Builder
	b.WriteString("program start=" + strconv.Itoa(p.Start))
	if p.Express {
		b.WriteString(" express")
	}
	if p.Timeout > 0 {
		b.WriteString(" timeout=" + p.Timeout.String())
	}
	if len(p.VarNames) > 0 {
		b.WriteString(" vars=" + strings.Join(p.VarNames, ","))
	}
	b.WriteByte('\n')
	for i := range p.States {
		p.States[i].disassemble(&b, i, p.VarNames)
	}
	return b.String()
}

func (st *State) disassemble(b *strings.Builder, idx int, vars []string) {
	b.WriteString(pad4(idx) + " " + st.Kind.String() + " " + strconv.Quote(st.Name))
	if st.Next != NoState {
		b.WriteString(" next=" + strconv.Itoa(st.Next))
	} else if st.Kind != StateChoice && st.Kind != StateFail {
		b.WriteString(" end")
	}
	b.WriteByte('\n')
	field := func(name, value string) { b.WriteString("     " + name + " " + value + "\n") }
	path := func(name string, p *Path, null bool) {
		switch {
		case null:
			field(name, "null")
		case p != nil:
			field(name, p.Text)
		}
	}
	tmpl := func(name string, t *Template) {
		if t != nil {
			field(name, t.String())
		}
	}
	path("InputPath", st.InputPath, st.InputPathNull)
	tmpl("Parameters", st.Parameters)
	if st.Result != nil {
		field("Result", string(st.Result))
	}
	if st.Task != nil {
		field("Resource", st.Task.Resource)
	}
	if st.TaskTimeout > 0 {
		field("TimeoutSeconds", st.TaskTimeout.String())
	}
	path("TimeoutSecondsPath", st.TimeoutPath, false)
	path("ItemsPath", st.ItemsPath, false)
	tmpl("ItemSelector", st.ItemSelector)
	if st.Kind == StateMap {
		field("Processor", strconv.Itoa(st.Processor))
		if st.Distributed {
			field("Mode", "DISTRIBUTED")
		}
		if st.MaxConcurrency > 0 {
			field("MaxConcurrency", strconv.Itoa(st.MaxConcurrency))
		}
		path("MaxConcurrencyPath", st.MaxConcurrencyPath, false)
		if st.HasToleratedPercent {
			field("ToleratedFailurePercentage", strconv.FormatFloat(st.ToleratedPercent, 'g', -1, 64))
		}
		path("ToleratedFailurePercentagePath", st.ToleratedPercentPath, false)
		if st.HasToleratedCount {
			field("ToleratedFailureCount", strconv.Itoa(st.ToleratedCount))
		}
		path("ToleratedFailureCountPath", st.ToleratedCountPath, false)
		if w := st.Writer; w != nil {
			field("Transformation", w.Transformation)
			if w.Resource != "" {
				field("ResultWriter", w.Resource)
			}
			tmpl("ResultWriterParameters", w.Parameters)
		}
		if b := st.Batcher; b != nil {
			if b.MaxItems > 0 {
				field("MaxItemsPerBatch", strconv.Itoa(b.MaxItems))
			}
			path("MaxItemsPerBatchPath", b.MaxItemsPath, false)
			if b.MaxBytes > 0 {
				field("MaxInputBytesPerBatch", strconv.Itoa(b.MaxBytes))
			}
			path("MaxInputBytesPerBatchPath", b.MaxBytesPath, false)
			tmpl("BatchInput", b.Input)
		}
	}
	for i, br := range st.Branches {
		field("Branch"+strconv.Itoa(i), strconv.Itoa(br))
	}
	for i, r := range st.Choices {
		field("Choice"+strconv.Itoa(i), r.String()+" -> "+strconv.Itoa(r.Next))
	}
	if st.Kind == StateChoice && st.Default != NoState {
		field("Default", strconv.Itoa(st.Default))
	}
	switch {
	case st.WaitSecondsPath != nil:
		path("SecondsPath", st.WaitSecondsPath, false)
	case st.WaitTimestampPath != nil:
		path("TimestampPath", st.WaitTimestampPath, false)
	case st.WaitHasTimestamp:
		field("Timestamp", strconv.FormatInt(st.WaitTimestamp, 10))
	case st.Kind == StateWait:
		field("Seconds", strconv.FormatInt(st.WaitSeconds, 10))
	}
	if st.HasError {
		field("Error", strconv.Quote(st.Error))
	}
	if st.HasCause {
		field("Cause", strconv.Quote(st.Cause))
	}
	tmpl("ErrorPath", st.ErrorPath)
	tmpl("CausePath", st.CausePath)
	tmpl("ResultSelector", st.ResultSelector)
	path("ResultPath", st.ResultPath, st.ResultPathNull)
	path("OutputPath", st.OutputPath, st.OutputPathNull)
	if st.Assign != nil {
		field("Assign", st.Assign.describe(vars))
	}
	for i, r := range st.Retry {
		field("Retry"+strconv.Itoa(i), r.Errors.String()+" interval="+r.Interval.String()+
			" max="+strconv.Itoa(r.MaxAttempts)+" backoff="+strconv.FormatFloat(r.BackoffRate, 'g', -1, 64))
	}
	for i, c := range st.Catch {
		field("Catch"+strconv.Itoa(i), c.Errors.String()+" -> "+strconv.Itoa(c.Next))
	}
}

func pad4(n int) string {
	s := strconv.Itoa(n)
	return strings.Repeat("0", max(0, 4-len(s))) + s
}

// String lists the template's operations: literal bytes, paths and calls.
func (t *Template) String() string {
	if t.literal != nil {
		return string(t.literal)
	}
	var parts []string
	for _, op := range t.ops {
		switch op.kind {
		case opLiteral:
			parts = append(parts, string(op.lit))
		case opPath:
			parts = append(parts, "<"+op.path.Text+">")
		case opCall:
			parts = append(parts, "<"+op.call.String()+">")
		}
	}
	return strings.Join(parts, "")
}

// describe lists the assignments as $name=template.
func (a *Assign) describe(vars []string) string {
	var parts []string
	for i, slot := range a.Slots {
		parts = append(parts, "$"+vars[slot]+"="+a.Values[i].String())
	}
	return strings.Join(parts, " ")
}

// String lists the error names.
func (s *ErrorSet) String() string {
	names := s.Names
	if s.All {
		names = append(names[:len(names):len(names)], ErrALL)
	}
	return "[" + strings.Join(names, ",") + "]"
}

// String renders the rule in a compact, readable form.
func (r *ChoiceRule) String() string {
	switch r.fam {
	case famAnd, famOr:
		op := " && "
		if r.fam == famOr {
			op = " || "
		}
		parts := make([]string, len(r.rules))
		for i, c := range r.rules {
			parts[i] = c.String()
		}
		return "(" + strings.Join(parts, op) + ")"
	case famNot:
		return "!" + r.rules[0].String()
	}
	return r.variable.Text + " " + r.operator + " " + string(r.value)
}
