package integrations

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/stepd/stepd/daemon/awsclient"
	"github.com/stepd/stepd/fastpath"
	"github.com/stepd/stepd/fastpath/jsonb"
)

// SDKServices lists the services aws-sdk:<service>:<action> reaches, as
// the Resource names them.
var SDKServices = []string{"dynamodb", "sqs", "sns", "eventbridge", "s3", "sfn", "lambda", "secretsmanager", "ssm"}

// sdkCall runs arn:aws:states:::aws-sdk:SERVICE:ACTION: the parameters are
// the request's members in PascalCase and the result is the response's
// members in PascalCase, over the service's own protocol. Errors are named
// in the AWS SDK for Java 2.x style (DynamoDb.ResourceNotFoundException,
// S3.NoSuchKeyException, or SERVICE.SERVICEException for codes the
// service's model does not declare).
func (s *Services) sdkCall(ctx context.Context, task *fastpath.Task, service, action string, input, dst []byte) ([]byte, error) {
	if action == "" || action[0] < 'a' || action[0] > 'z' {
		return dst, Unsupported(task.Resource)
	}
	op := string(action[0]-'a'+'A') + action[1:]
	if jsonb.KindOf(input) == jsonb.KindInvalid || jsonb.KindOf(input) == jsonb.KindNull {
		input = []byte("{}")
	}
	if jsonb.KindOf(input) != jsonb.KindObject {
		return dst, runtimeFailure("aws-sdk:"+service+":"+action, "must be an object")
	}
	switch service {
	case "dynamodb":
		return s.sdkJSON(ctx, awsclient.DynamoDB, op, input, dst)
	case "eventbridge":
		return s.sdkJSON(ctx, awsclient.EventBridge, op, input, dst)
	case "secretsmanager":
		return s.sdkJSON(ctx, awsclient.SecretsManager, op, input, dst)
	case "ssm":
		return s.sdkJSON(ctx, awsclient.SSM, op, input, dst)
	case "sqs":
		return s.sdkQuery(ctx, awsclient.SQS, op, input, dst)
	case "sns":
		return s.sdkQuery(ctx, awsclient.SNS, op, input, dst)
	case "sfn":
		return s.sdkSFN(ctx, op, input, dst)
	case "s3":
		return s.sdkS3(ctx, task, action, input, dst)
	case "lambda":
		return s.sdkLambda(ctx, task, action, input, dst)
	}
	return dst, Unsupported(task.Resource)
}

// sdkJSON calls a JSON 1.0/1.1 service: the parameters are the request
// body and the answer is the result.
func (s *Services) sdkJSON(ctx context.Context, svc *awsclient.Service, op string, input, dst []byte) ([]byte, error) {
	c := acquireCall(svc)
	defer releaseCall(c)
	c.req.Target = op
	c.body = append(c.body, input...)
	if err := s.do(ctx, c, sdkStyle); err != nil {
		return dst, err
	}
	body := c.resp.Body()
	if len(body) == 0 {
		return append(dst, "{}"...), nil
	}
	out, err := jsonb.Compact(dst, body, jsonb.MaxDepth)
	if err != nil {
		return dst, &fastpath.Failure{Name: namings[svc].v2Prefix + ".SdkClientException", Cause: "Unable to unmarshall response: the answer is not JSON"}
	}
	return out, nil
}

// sdkSFN runs an action of the node's own Step Functions API in process:
// the PascalCase parameters become the API's camelCase members and the
// answer's members come back in PascalCase, dates as ISO 8601 text.
// startSyncExecution returns the child's StartSyncExecution response.
func (s *Services) sdkSFN(ctx context.Context, op string, input, dst []byte) ([]byte, error) {
	// The SDK serializes a non-string Input (and Output of
	// SendTaskSuccess) to its JSON text; a null one is left unset.
	for _, f := range [...]string{"Input", "Output"} {
		switch v := jsonb.ObjectGet(input, f); jsonb.KindOf(v) {
		case jsonb.KindString, jsonb.KindInvalid:
		case jsonb.KindNull:
			input = withoutMember(input, f)
		default:
			input = withMember(input, f, jsonb.AppendQuoted(nil, v))
		}
	}
	body := recase(nil, input, false)
	resp, err := s.callSFN(ctx, op, body, nil)
	if err != nil {
		return dst, failure(sdkStyle, awsclient.SFN, err)
	}
	return recase(dst, resp, true), nil
}

// recase appends the JSON value v with the first letter of every object
// key upper-cased (up) or lower-cased, and, going up, the numbers under
// keys ending in "Date" as ISO 8601 dates, as the AWS SDK for Java 2.x
// renders Instants.
func recase(dst, v []byte, up bool) []byte {
	switch jsonb.KindOf(v) {
	case jsonb.KindObject:
		dst = append(dst, '{')
		var it jsonb.ObjectIter
		it.Reset(v)
		first := true
		for k, val, ok := it.Next(); ok; k, val, ok = it.Next() {
			if !first {
				dst = append(dst, ',')
			}
			first = false
			mark := len(dst)
			dst = append(dst, k...)
			if len(k) > 2 {
				c := dst[mark+1]
				if up && c >= 'a' && c <= 'z' {
					dst[mark+1] = c - 'a' + 'A'
				} else if !up && c >= 'A' && c <= 'Z' {
					dst[mark+1] = c - 'A' + 'a'
				}
			}
			dst = append(dst, ':')
			if up && jsonb.KindOf(val) == jsonb.KindNumber && strings.HasSuffix(string(k), `Date"`) {
				if sec, ok := jsonb.ParseNumber(val); ok {
					t := time.UnixMilli(int64(sec*1000 + 0.5)).UTC()
					dst = append(dst, '"')
					dst = t.AppendFormat(dst, "2006-01-02T15:04:05.000Z")
					dst = append(dst, '"')
					continue
				}
			}
			dst = recase(dst, val, up)
		}
		return append(dst, '}')
	case jsonb.KindArray:
		dst = append(dst, '[')
		var it jsonb.ArrayIter
		it.Reset(v)
		first := true
		for e, ok := it.Next(); ok; e, ok = it.Next() {
			if !first {
				dst = append(dst, ',')
			}
			first = false
			dst = recase(dst, e, up)
		}
		return append(dst, ']')
	}
	return append(dst, v...)
}

// queryMaps names the members of query-protocol requests that are maps,
// with how the protocol flattens them: the entry prefix and the key and
// value names.
var queryMaps = map[*awsclient.Service]map[string][3]string{
	awsclient.SQS: {
		"Attributes":              {"Attribute.", ".Name", ".Value"},
		"MessageAttributes":       {"MessageAttribute.", ".Name", ".Value"},
		"MessageSystemAttributes": {"MessageSystemAttribute.", ".Name", ".Value"},
		"Tags":                    {"Tag.", ".Key", ".Value"},
	},
	awsclient.SNS: {
		"Attributes":        {"Attributes.entry.", ".key", ".value"},
		"MessageAttributes": {"MessageAttributes.entry.", ".Name", ".Value"},
	},
}

// queryLists names the lists SQS flattens (a member per index, named in
// the singular) rather than wrapping in .member.N as SNS does.
var queryLists = map[string]string{
	"AttributeNames":              "AttributeName",
	"MessageAttributeNames":       "MessageAttributeName",
	"MessageSystemAttributeNames": "MessageSystemAttributeName",
	"TagKeys":                     "TagKey",
	"AWSAccountIds":               "AWSAccountId",
	"Actions":                     "ActionName",
}

// sqsBatchEntries names the Entries of SQS's batch actions.
var sqsBatchEntries = map[string]string{
	"SendMessageBatch":             "SendMessageBatchRequestEntry",
	"DeleteMessageBatch":           "DeleteMessageBatchRequestEntry",
	"ChangeMessageVisibilityBatch": "ChangeMessageVisibilityBatchRequestEntry",
}

// sdkQuery calls a query-protocol service (SQS, SNS): the parameters are
// flattened into the form, and the XML answer's <OpResult> becomes the
// result.
func (s *Services) sdkQuery(ctx context.Context, svc *awsclient.Service, op string, input, dst []byte) ([]byte, error) {
	c := acquireCall(svc)
	defer releaseCall(c)
	b := append(c.body, "Action="...)
	b = append(b, op...)
	b = append(b, "&Version="...)
	b = append(b, svc.APIVersion...)
	var it jsonb.ObjectIter
	it.Reset(input)
	for k, v, ok := it.Next(); ok; k, v, ok = it.Next() {
		b = flattenQuery(b, svc, op, keyText(k), v)
	}
	c.body = b
	if err := s.do(ctx, c, sdkStyle); err != nil {
		return dst, err
	}
	root := awsclient.ParseXML(c.resp.Body())
	if root == nil {
		return append(dst, "{}"...), nil
	}
	res := root.Child(op + "Result")
	if res == nil {
		return append(dst, "{}"...), nil
	}
	return appendXMLObject(dst, res, svc), nil
}

// flattenQuery appends one member as the query protocol flattens it.
func flattenQuery(b []byte, svc *awsclient.Service, op, key string, v []byte) []byte {
	switch jsonb.KindOf(v) {
	case jsonb.KindNull:
		return b
	case jsonb.KindObject:
		if key == "Message" || key == "MessageBody" {
			break // string members that carry JSON: an object is sent as its text
		}
		if m, ok := queryMaps[svc][key]; ok && !strings.Contains(key, ".") {
			var it jsonb.ObjectIter
			it.Reset(v)
			n := 0
			for mk, mv, ok := it.Next(); ok; mk, mv, ok = it.Next() {
				n++
				p := m[0] + strconv.Itoa(n)
				b = appendFormParam(b, p+m[1], jsonb.AppendUnquoted(nil, mk))
				b = flattenQuery(b, svc, op, p+m[2], mv)
			}
			return b
		}
		var it jsonb.ObjectIter
		it.Reset(v)
		for mk, mv, ok := it.Next(); ok; mk, mv, ok = it.Next() {
			b = flattenQuery(b, svc, op, key+"."+keyText(mk), mv)
		}
		return b
	case jsonb.KindArray:
		prefix := key + ".member."
		if svc == awsclient.SQS {
			if name, ok := queryLists[key]; ok {
				prefix = name + "."
			} else if name, ok := sqsBatchEntries[op]; ok && key == "Entries" {
				prefix = name + "."
			}
		}
		var it jsonb.ArrayIter
		it.Reset(v)
		n := 0
		for e, ok := it.Next(); ok; e, ok = it.Next() {
			n++
			b = flattenQuery(b, svc, op, prefix+strconv.Itoa(n), e)
		}
		return b
	}
	return appendFormParam(b, key, textOf(nil, v))
}

// xmlFlat names the elements that repeat in place of a list or map in
// query and REST-XML answers: the member name they collect into, and for
// maps the key and value element names.
var xmlFlat = map[string]struct{ member, key, value string }{
	"Message":                       {"Messages", "", ""},
	"QueueUrl":                      {"QueueUrls", "", ""},
	"Attribute":                     {"Attributes", "Name", "Value"},
	"MessageAttribute":              {"MessageAttributes", "Name", "Value"},
	"Contents":                      {"Contents", "", ""},
	"CommonPrefixes":                {"CommonPrefixes", "", ""},
	"Version":                       {"Versions", "", ""},
	"DeleteMarker":                  {"DeleteMarkers", "", ""},
	"Upload":                        {"Uploads", "", ""},
	"Part":                          {"Parts", "", ""},
	"Deleted":                       {"Deleted", "", ""},
	"Error":                         {"Errors", "", ""},
	"Successful":                    {"Successful", "", ""},
	"Failed":                        {"Failed", "", ""},
	"SendMessageBatchResultEntry":   {"Successful", "", ""},
	"DeleteMessageBatchResultEntry": {"Successful", "", ""},
	"ChangeMessageVisibilityBatchResultEntry": {"Successful", "", ""},
	"BatchResultErrorEntry":                   {"Failed", "", ""},
}

// xmlScalars types the leaf elements that are not strings.
var xmlScalars = map[string]byte{
	"Size": 'n', "MaxKeys": 'n', "KeyCount": 'n', "MaxUploads": 'n', "PartNumber": 'n', "MaxParts": 'n',
	"IsTruncated": 'b', "IsLatest": 'b', "SenderFault": 'b', "BucketKeyEnabled": 'b',
}

// appendXMLObject appends an element's children as a JSON object: a child
// with children is an object, <member> children make an array, <entry>
// children with key and value make a map, and elements that repeat (or
// are known to be flattened) collect into a list or map.
func appendXMLObject(dst []byte, n *awsclient.XMLNode, svc *awsclient.Service) []byte {
	dst = append(dst, '{')
	done := map[string]bool{}
	first := true
	for _, ch := range n.Children {
		if done[ch.Name] {
			continue
		}
		flat, isFlat := xmlFlat[ch.Name]
		count := 0
		for _, o := range n.Children {
			if o.Name == ch.Name {
				count++
			}
		}
		if !first {
			dst = append(dst, ',')
		}
		first = false
		switch {
		case isFlat && (count > 1 || len(ch.Children) > 0 || ch.Name == "QueueUrl" && n.Name != "CreateQueueResult" && n.Name != "GetQueueUrlResult"):
			done[ch.Name] = true
			dst = jsonb.AppendQuotedString(dst, flat.member)
			dst = append(dst, ':')
			if flat.key != "" {
				dst = appendXMLMap(dst, n.Children, ch.Name, flat.key, "", flat.value, "", svc)
				continue
			}
			dst = appendXMLList(dst, n.Children, ch.Name, svc)
		default:
			done[ch.Name] = true
			dst = jsonb.AppendQuotedString(dst, ch.Name)
			dst = append(dst, ':')
			dst = appendXMLValue(dst, ch, svc)
		}
	}
	return append(dst, '}')
}

// appendXMLValue appends one element as a JSON value.
func appendXMLValue(dst []byte, n *awsclient.XMLNode, svc *awsclient.Service) []byte {
	if n == nil {
		return append(dst, "null"...)
	}
	if len(n.Children) == 0 {
		switch xmlScalars[n.Name] {
		case 'n':
			if _, err := strconv.ParseFloat(string(n.Text), 64); err == nil {
				return append(dst, n.Text...)
			}
		case 'b':
			if string(n.Text) == "true" || string(n.Text) == "false" {
				return append(dst, n.Text...)
			}
		}
		return jsonb.AppendQuoted(dst, n.Text)
	}
	switch n.Children[0].Name {
	case "member":
		return appendXMLList(dst, n.Children, "", svc)
	case "entry":
		return appendXMLMap(dst, n.Children, "", "key", "Name", "value", "Value", svc)
	}
	// A wrapper whose children all share one name that is not known as
	// a structure member is a list (S3's <Buckets><Bucket>…).
	if len(n.Children) > 0 && isWrappedList(n) {
		return appendXMLList(dst, n.Children, "", svc)
	}
	return appendXMLObject(dst, n, svc)
}

// appendXMLList appends the nodes called name (every node when name is
// "") as a JSON array of their values.
func appendXMLList(dst []byte, nodes []*awsclient.XMLNode, name string, svc *awsclient.Service) []byte {
	dst = append(dst, '[')
	k := 0
	for _, o := range nodes {
		if name != "" && o.Name != name {
			continue
		}
		if k > 0 {
			dst = append(dst, ',')
		}
		k++
		dst = appendXMLValue(dst, o, svc)
	}
	return append(dst, ']')
}

// appendXMLMap appends the nodes called name (every node when name is "")
// as a JSON object: each node's child key (else altKey) is a member name
// ("" when it has neither), its child value (else altValue) the value.
func appendXMLMap(dst []byte, nodes []*awsclient.XMLNode, name, key, altKey, value, altValue string, svc *awsclient.Service) []byte {
	dst = append(dst, '{')
	k := 0
	for _, o := range nodes {
		if name != "" && o.Name != name {
			continue
		}
		if k > 0 {
			dst = append(dst, ',')
		}
		k++
		kn, vn := o.Child(key), o.Child(value)
		if kn == nil && altKey != "" {
			kn = o.Child(altKey)
		}
		if vn == nil && altValue != "" {
			vn = o.Child(altValue)
		}
		if kn == nil {
			dst = append(dst, `""`...)
		} else {
			dst = jsonb.AppendQuoted(dst, kn.Text)
		}
		dst = append(dst, ':')
		dst = appendXMLValue(dst, vn, svc)
	}
	return append(dst, '}')
}

// isWrappedList reports a list wrapper: an element named as the plural of
// its children's one name (Buckets/Bucket, Tags/Tag …).
func isWrappedList(n *awsclient.XMLNode) bool {
	name := n.Children[0].Name
	for _, c := range n.Children {
		if c.Name != name {
			return false
		}
	}
	return n.Name == name+"s" || n.Name == "TagSet" || n.Name == "AccessControlList"
}

// sdkLambda runs aws-sdk:lambda:invoke over REST-JSON: Payload (a
// non-string one as its JSON text) is the body, and the result is
// {ExecutedVersion, [FunctionError,] [LogResult,] Payload, StatusCode}
// with Payload as the function's answer text.
func (s *Services) sdkLambda(ctx context.Context, task *fastpath.Task, action string, input, dst []byte) ([]byte, error) {
	if action != "invoke" {
		return dst, Unsupported(task.Resource)
	}
	c := acquireCall(awsclient.Lambda)
	defer releaseCall(c)
	fn := ""
	var it jsonb.ObjectIter
	it.Reset(input)
	for k, v, ok := it.Next(); ok; k, v, ok = it.Next() {
		name := keyText(k)
		text := string(textOf(nil, v))
		switch name {
		case "FunctionName":
			fn = text
		case "Payload":
			c.body = append(c.body[:0], text...)
		case "Qualifier":
			c.req.Query = append(c.req.Query, awsclient.QueryParam{Key: "Qualifier", Value: text})
		case "InvocationType", "LogType", "ClientContext":
			c.req.Headers = append(c.req.Headers, awsclient.Header{Name: "x-amz-" + map[string]string{"InvocationType": "invocation-type", "LogType": "log-type", "ClientContext": "client-context"}[name], Value: text})
		default:
			return dst, runtimeFailure("aws-sdk:lambda:invoke", "have the field '"+name+"', which Lambda Invoke does not take")
		}
	}
	if fn == "" {
		return dst, runtimeFailure("aws-sdk:lambda:invoke", "must have a FunctionName")
	}
	c.req.Path = "/2015-03-31/functions/" + string(awsclient.AppendURIEncode(nil, fn, false)) + "/invocations"
	c.req.ContentType = "application/json"
	if err := s.do(ctx, c, sdkStyle); err != nil {
		return dst, err
	}
	dst = append(dst, `{"ExecutedVersion":`...)
	v := headerValue(&c.resp, "X-Amz-Executed-Version")
	if v == nil {
		v = []byte("$LATEST")
	}
	dst = jsonb.AppendQuoted(dst, v)
	if fe := headerValue(&c.resp, "X-Amz-Function-Error"); fe != nil {
		dst = append(dst, `,"FunctionError":`...)
		dst = jsonb.AppendQuoted(dst, fe)
	}
	if lr := headerValue(&c.resp, "X-Amz-Log-Result"); lr != nil {
		dst = append(dst, `,"LogResult":`...)
		dst = jsonb.AppendQuoted(dst, lr)
	}
	dst = append(dst, `,"Payload":`...)
	dst = jsonb.AppendQuoted(dst, c.resp.Body())
	dst = append(dst, `,"StatusCode":`...)
	dst = strconv.AppendInt(dst, int64(c.resp.StatusCode()), 10)
	return append(dst, '}'), nil
}

// withMember returns a copy of the object obj with member name set to the
// JSON value v.
func withMember(obj []byte, name string, v []byte) []byte {
	out := withoutMember(obj, name)
	out = out[:len(out)-1]
	if len(out) > 1 {
		out = append(out, ',')
	}
	out = jsonb.AppendQuotedString(out, name)
	out = append(out, ':')
	out = append(out, v...)
	return append(out, '}')
}

// withoutMember returns a copy of the object obj without member name.
func withoutMember(obj []byte, name string) []byte {
	out := []byte{'{'}
	var it jsonb.ObjectIter
	it.Reset(obj)
	for k, v, ok := it.Next(); ok; k, v, ok = it.Next() {
		if jsonb.KeyEquals(k, name) {
			continue
		}
		if len(out) > 1 {
			out = append(out, ',')
		}
		out = append(out, k...)
		out = append(out, ':')
		out = append(out, v...)
	}
	return append(out, '}')
}
