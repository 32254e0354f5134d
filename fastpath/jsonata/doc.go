// Package jsonata is an evaluator for JSONata 2.0.6, the query and
// transformation language that AWS Step Functions runs for state machines
// with QueryLanguage "JSONata".
//
// Compile turns source text into an *Expr once; Expr.Eval then runs it against
// an input value any number of times, concurrently if wanted (an *Expr is
// immutable after Compile). Values use a small model that keeps JSON object
// key order: nil is "undefined" (no value), Null{} is JSON null, float64,
// string, bool, *Object and *Array are the JSON kinds, and functions are
// values too. ParseJSON and AppendJSON convert between that model and compact
// JSON bytes.
//
// The semantics follow the reference JavaScript implementation (jsonata-js
// v2.0.6) closely, including its error codes (S0xxx for syntax, T/D xxxx for
// evaluation), so that ../../shared/jsonata-suite can be run as a
// conformance test (see suite_test.go).
package jsonata
