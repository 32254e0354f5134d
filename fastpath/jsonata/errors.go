package jsonata

import (
	"fmt"
	"strings"
)

// Error is a JSONata compile or evaluation error. Code is the JSONata error
// code (for example "S0201" for a syntax error or "T2001" for a type error),
// Position the byte offset in the expression source where the problem was
// found (JSONata reports the end of the offending token), Token the token or
// function name involved, and Value the offending value when there is one.
type Error struct {
	Code     string
	Position int
	Token    string
	Value    any
	Message  string
}

// Error formats the error as "CODE at position N: message".
func (e *Error) Error() string {
	msg := e.Message
	if msg == "" {
		msg = errorMessages[e.Code]
		if msg == "" {
			msg = "JSONata error"
		}
	}
	if e.Token != "" {
		return fmt.Sprintf("%s at position %d (token %q): %s", e.Code, e.Position, e.Token, msg)
	}
	return fmt.Sprintf("%s at position %d: %s", e.Code, e.Position, msg)
}

// errorMessages gives the text for the codes this package raises; the
// conformance suite compares codes, the text is for humans.
var errorMessages = map[string]string{
	"S0101": "string literal must be terminated by a matching quote",
	"S0102": "number out of range",
	"S0103": "unsupported escape sequence",
	"S0104": "the escape sequence \\u must be followed by 4 hex digits",
	"S0105": "quoted property name must be terminated with a backquote",
	"S0106": "comment has no closing tag",
	"S0201": "syntax error",
	"S0202": "expected a different token",
	"S0203": "expected a token before end of expression",
	"S0204": "unknown operator",
	"S0205": "unexpected token",
	"S0206": "unknown expression type",
	"S0207": "unexpected end of expression",
	"S0208": "parameter of function definition must be a variable name",
	"S0209": "a predicate cannot follow a grouping expression in a step",
	"S0210": "each step can only have one grouping expression",
	"S0211": "symbol cannot be used as a unary operator",
	"S0212": "the left side of := must be a variable name",
	"S0213": "the literal value cannot be used as a step within a path expression",
	"S0214": "the right side of @ or # must be a variable name",
	"S0215": "a context variable binding must precede any predicates on a step",
	"S0216": "a context variable binding must precede the order-by clause on a step",
	"S0217": "the object representing the parent cannot be derived from this expression",
	"S0301": "empty regular expressions are not allowed",
	"S0302": "no terminating / in regular expression",
	"S0401": "type parameters can only be applied to functions and arrays",
	"S0402": "choice groups containing parameterized types are not supported",
	"T0410": "argument of function does not match function signature",
	"T0411": "context value is not a compatible type with argument",
	"T0412": "argument of function must be an array of the given type",
	"D1001": "number out of range",
	"D1002": "cannot negate a non-numeric value",
	"T1003": "key in object structure must evaluate to a string",
	"D1004": "regular expression matches zero length string",
	"T1005": "attempted to invoke a non-function; did you mean to use a built-in function?",
	"T1006": "attempted to invoke a non-function",
	"T1007": "attempted to partially apply a non-function; did you mean to use a built-in function?",
	"T1008": "attempted to partially apply a non-function",
	"D1009": "multiple key definitions evaluate to same key",
	"T1010": "the matcher function argument passed to $replace must return an object",
	"T2001": "the left side of the arithmetic operator must evaluate to a number",
	"T2002": "the right side of the arithmetic operator must evaluate to a number",
	"T2003": "the left side of the range operator must evaluate to an integer",
	"T2004": "the right side of the range operator must evaluate to an integer",
	"D2005": "the left side of := must be a variable name",
	"T2006": "the right side of the function application operator ~> must be a function",
	"T2007": "type mismatch when comparing values in order-by clause",
	"T2008": "the expressions within an order-by clause must evaluate to numeric or string values",
	"T2009": "the values either side of the operator must be of the same data type",
	"T2010": "the expressions either side of the operator must evaluate to numeric or string values",
	"T2011": "the insert/update clause of the transform expression must evaluate to an object",
	"T2012": "the delete clause of the transform expression must evaluate to a string or array of strings",
	"T2013": "the transform expression clones the input object using the $clone() function, which has been overridden",
	"D2014": "the size of the sequence allocated by the range operator has exceeded the maximum of 10,000,000",
	"D3001": "attempting to invoke string function on Infinity or NaN",
	"D3010": "second argument of replace function cannot be an empty string",
	"D3011": "fourth argument of replace function must evaluate to a positive number",
	"D3012": "attempted to replace a matched string with a non-string value",
	"D3020": "third argument of split function must evaluate to a positive number",
	"D3030": "unable to cast value to a number",
	"D3050": "the second argument of reduce function must be a function with at least two arguments",
	"D3060": "the sqrt function cannot be applied to a negative number",
	"D3061": "the power function has resulted in a value that cannot be represented as a JSON number",
	"D3070": "the single argument form of the sort function can only be applied to an array of strings or an array of numbers",
	"D3080": "the picture string must only contain a maximum of two sub-pictures",
	"D3081": "the sub-picture must not contain more than one instance of the decimal-separator character",
	"D3082": "the sub-picture must not contain more than one instance of the percent character",
	"D3083": "the sub-picture must not contain more than one instance of the per-mille character",
	"D3084": "the sub-picture must not contain both a percent and a per-mille character",
	"D3085": "the mantissa part of a sub-picture must contain at least one character that is an optional digit or a decimal digit",
	"D3086": "the sub-picture must not contain a passive character that is preceded by an active character and that is followed by another active character",
	"D3087": "the sub-picture must not contain a grouping-separator character that appears adjacent to a decimal-separator character",
	"D3088": "the sub-picture must not contain a grouping-separator at the end of the integer part",
	"D3089": "the sub-picture must not contain two adjacent instances of the grouping-separator character",
	"D3090": "the integer part of the sub-picture must not contain a member of the decimal-digit-family that is followed by an instance of the optional-digit-signal",
	"D3091": "the fractional part of the sub-picture must not contain an instance of the optional-digit-signal that is followed by a member of the decimal-digit-family",
	"D3092": "a sub-picture that contains a percent or per-mille character must not contain a character treated as an exponent-separator",
	"D3093": "the exponent part of the sub-picture must comprise only of one or more characters that are members of the decimal-digit-family",
	"D3100": "the radix of the formatBase function must be between 2 and 36",
	"D3110": "the argument of the toMillis function must be an ISO 8601 formatted timestamp",
	"D3120": "syntax error in expression passed to function eval",
	"D3121": "dynamic error evaluating the expression passed to function eval",
	"D3130": "formatInteger does not support picture strings of this form",
	"D3131": "in a decimal digit pattern, all digits must be from the same decimal group",
	"D3132": "unknown component specifier in date/time picture string",
	"D3133": "the 'name' modifier can only be applied to months and days in the date/time picture string",
	"D3134": "the timezone integer format specifier cannot have more than four digits",
	"D3135": "no matching closing bracket ']' in date/time picture string",
	"D3136": "the date/time picture string is missing specifiers required to parse the timestamp",
	"D3137": "error raised by the $error function",
	"D3138": "the $single() function expected exactly 1 matching result",
	"D3139": "the $single() function expected exactly 1 matching result",
	"D3140": "malformed URL passed to $decodeUrl/$encodeUrl",
	"D3141": "assertion failed",
	"U1001": "stack overflow: the evaluation depth or time limit was exceeded",
	"U1002": "the evaluation step budget was exceeded",
	"U1003": "the evaluation memory budget was exceeded",
}

// syntaxMessages are jsonata-js's own texts for the syntax errors, which
// AWS repeats (without the code) when it rejects a definition; {{token}}
// and {{value}} are replaced by the error's Token and Value in JSON form,
// as jsonata-js does.
var syntaxMessages = map[string]string{
	"S0101": "String literal must be terminated by a matching quote",
	"S0102": "Number out of range: {{token}}",
	"S0103": "Unsupported escape sequence: \\{{token}}",
	"S0104": "The escape sequence \\u must be followed by 4 hex digits",
	"S0105": "Quoted property name must be terminated with a backquote (`)",
	"S0106": "Comment has no closing tag",
	"S0201": "Syntax error: {{token}}",
	"S0202": "Expected {{value}}, got {{token}}",
	"S0203": "Expected {{value}} before end of expression",
	"S0204": "Unknown operator: {{token}}",
	"S0205": "Unexpected token: {{token}}",
	"S0206": "Unknown expression type: {{token}}",
	"S0207": "Unexpected end of expression",
	"S0208": "Parameter {{value}} of function definition must be a variable name (start with $)",
	"S0209": "A predicate cannot follow a grouping expression in a step",
	"S0210": "Each step can only have one grouping expression",
	"S0211": "The symbol {{token}} cannot be used as a unary operator",
	"S0212": "The left side of := must be a variable name (start with $)",
	"S0213": "The literal value {{value}} cannot be used as a step within a path expression",
	"S0214": "The right side of {{token}} must be a variable name (start with $)",
	"S0215": "A context variable binding must precede any predicates on a step",
	"S0216": "A context variable binding must precede the 'order-by' clause on a step",
	"S0217": "The object representing the 'parent' cannot be derived from this expression",
	"S0301": "Empty regular expressions are not allowed",
	"S0302": "No terminating / in regular expression",
	"S0401": "Type parameters can only be applied to functions and arrays",
	"S0402": "Choice groups containing parameterized types are not supported",
}

// expandMessage fills a jsonata-js message template from e.
func (e *Error) expandMessage(tmpl string) string {
	js := func(v any) string {
		if v == nil {
			return "undefined"
		}
		return string(AppendJSON(nil, v))
	}
	var tok any
	if e.Token != "" {
		tok = e.Token
	}
	return strings.NewReplacer("{{token}}", js(tok), "{{value}}", js(e.Value)).Replace(tmpl)
}

// throwErr aborts the current compile or evaluation with a JSONata error.
// Compile and Eval recover it and return it as an error; nothing else in the
// package recovers, so a non-*Error panic still means a bug.
func throwErr(code string, pos int, token string, value any) {
	panic(&Error{Code: code, Position: pos, Token: token, Value: value})
}

// throwMsg is throwErr with an explicit message (for $error, $assert and
// the URL functions, whose messages the suite checks).
func throwMsg(code, msg string) {
	panic(&Error{Code: code, Message: msg, Position: -1})
}

// recoverErr turns a recovered *Error panic into an error; any other panic
// value is re-raised.
func recoverErr(r any, err *error) {
	if r == nil {
		return
	}
	if e, ok := r.(*Error); ok {
		*err = e
		return
	}
	panic(r)
}
