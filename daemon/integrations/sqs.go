package integrations

import (
	"context"
	"slices"
	"strconv"

	"github.com/stepd/stepd/daemon/awsclient"
	"github.com/stepd/stepd/fastpath/jsonb"
)

// sqsSendMessageCall is arn:aws:states:::sqs:sendMessage: SendMessage over the
// query protocol (which AWS SQS and goaws both serve), with a non-string
// MessageBody sent as its JSON text. The result is {[MD5OfMessageAttributes,]
// MD5OfMessageBody, MessageId, SdkHttpMetadata, SdkResponseMetadata[,
// SequenceNumber]}; errors are SQS.* in the AWS SDK for Java 1.x style.
var sqsSendMessageCall = queryMessage{
	resource: "sqs:sendMessage", api: "SQS SendMessage", service: awsclient.SQS,
	action:  "Action=SendMessage&Version=2012-11-05",
	shape:   "must be an object with QueueUrl and MessageBody",
	scalars: []string{"QueueUrl", "MessageBody", "MessageDeduplicationId", "MessageGroupId", "DelaySeconds"},
	attributes: []queryAttributes{
		{"MessageAttributes", "MessageAttribute."},
		{"MessageSystemAttributes", "MessageSystemAttribute."},
	},
	results:   []string{"MD5OfMessageAttributes", "MD5OfMessageBody", "MessageId"},
	keepEmpty: "MD5OfMessageBody",
}

// queryMessage describes an optimized integration that sends one message
// over the query protocol (sqs:sendMessage, sns:publish): the input's
// members it takes, and the members of the XML answer its result holds.
type queryMessage struct {
	resource, api string // in messages: "sqs:sendMessage", "SQS SendMessage"
	service       *awsclient.Service
	action        string // the form's leading Action and Version
	shape         string // what the input must be, for a message
	scalars       []string
	attributes    []queryAttributes
	// results are the answer's members copied into the result, in
	// order, each only when present and not empty, except keepEmpty.
	results   []string
	keepEmpty string
}

// queryAttributes is an input member holding a map of message attributes
// and the query prefix it is flattened under.
type queryAttributes struct{ member, prefix string }

// sendQueryMessage runs m with input, appending its result to dst: the
// form built from input (a null member is not sent, as the SDK leaves it
// unset; a member m does not take fails), the call, and {results…,
// SdkHttpMetadata, SdkResponseMetadata[, SequenceNumber]}.
func (s *Services) sendQueryMessage(ctx context.Context, m *queryMessage, input, dst []byte) ([]byte, error) {
	if jsonb.KindOf(input) != jsonb.KindObject {
		return dst, runtimeFailure(m.resource, m.shape)
	}
	c := acquireCall(m.service)
	defer releaseCall(c)
	b := append(c.body, m.action...)
	var it jsonb.ObjectIter
	it.Reset(input)
	for k, v, ok := it.Next(); ok; k, v, ok = it.Next() {
		name := keyText(k)
		if jsonb.KindOf(v) == jsonb.KindNull {
			continue
		}
		if slices.Contains(m.scalars, name) {
			c.tmp = textOf(c.tmp[:0], v)
			b = appendFormParam(b, name, c.tmp)
			continue
		}
		i := slices.IndexFunc(m.attributes, func(a queryAttributes) bool { return a.member == name })
		if i < 0 {
			return dst, runtimeFailure(m.resource, "have the field '"+name+"', which "+m.api+" does not take")
		}
		b = appendAttributes(b, &c.tmp, m.attributes[i].prefix, ".Name", ".Value.", v)
	}
	c.body = b
	if err := s.do(ctx, c, optimized); err != nil {
		return dst, err
	}
	body := c.resp.Body()
	dst = append(dst, '{')
	for _, f := range m.results {
		if v, ok := awsclient.FindXML(body, f); ok && (len(v) > 0 || f == m.keepEmpty) {
			dst = append(dst, '"')
			dst = append(dst, f...)
			dst = append(dst, `":`...)
			dst = jsonb.AppendQuoted(dst, v)
			dst = append(dst, ',')
		}
	}
	rid, _ := awsclient.FindXML(body, "RequestId")
	dst = appendSdkMetadata(dst, &c.resp, rid)
	if v, ok := awsclient.FindXML(body, "SequenceNumber"); ok && len(v) > 0 {
		dst = append(dst, `,"SequenceNumber":`...)
		dst = jsonb.AppendQuoted(dst, v)
	}
	return append(dst, '}'), nil
}

// appendAttributes appends a map of message attributes
// ({"name": {"DataType": …, "StringValue": …}}) as the query protocol
// flattens it: PREFIX N NAME=name, PREFIX N VALUE Member=value.
func appendAttributes(b []byte, tmp *[]byte, prefix, nameSuffix, valuePrefix string, attrs []byte) []byte {
	var it jsonb.ObjectIter
	it.Reset(attrs)
	n := 0
	var key [64]byte
	for k, v, ok := it.Next(); ok; k, v, ok = it.Next() {
		n++
		p := append(key[:0], prefix...)
		p = strconv.AppendInt(p, int64(n), 10)
		base := len(p)
		*tmp = jsonb.AppendUnquoted((*tmp)[:0], k)
		b = appendFormParam(b, jsonb.BytesString(append(p, nameSuffix...)), *tmp)
		var vi jsonb.ObjectIter
		vi.Reset(v)
		for vk, vv, ok := vi.Next(); ok; vk, vv, ok = vi.Next() {
			p = append(append(p[:base], valuePrefix...), keyText(vk)...)
			*tmp = textOf((*tmp)[:0], vv)
			b = appendFormParam(b, jsonb.BytesString(p), *tmp)
		}
	}
	return b
}

// keyText views a raw JSON key as its text when it has no escapes, which
// is every key an AWS parameter has; an escaped key is decoded.
func keyText(k []byte) string {
	body := k[1 : len(k)-1]
	for _, c := range body {
		if c == '\\' {
			return string(jsonb.AppendUnquoted(nil, k))
		}
	}
	return jsonb.BytesString(body)
}
