package awsclient

import (
	"bytes"
	"encoding/json"
	"strconv"

	"github.com/valyala/fasthttp"
)

// APIError is an error answer of a service, as its protocol carries it.
type APIError struct {
	// Status is the HTTP status code.
	Status int
	// Code is the error code without namespace ("ResourceNotFoundException",
	// "NoSuchKey", "AWS.SimpleQueueService.NonExistentQueue").
	Code string
	// Message is the service's message, "" when it sent none.
	Message string
	// RequestID and HostID (S3's extended request id) are "" when absent.
	RequestID, HostID string
}

func (e *APIError) Error() string { return e.Code + ": " + e.Message }

// ParseError reads the error answer in resp (status 300 or more) as svc's
// protocol carries it. It never fails: what cannot be read is left empty,
// and a missing code is derived from the status as the SDKs do.
func ParseError(svc *Service, resp *fasthttp.Response) *APIError {
	e := &APIError{Status: resp.StatusCode()}
	for k, v := range resp.Header.All() {
		switch {
		case bytes.EqualFold(k, []byte("x-amzn-RequestId")), bytes.EqualFold(k, []byte("x-amz-request-id")):
			e.RequestID = string(v)
		case bytes.EqualFold(k, []byte("x-amz-id-2")):
			e.HostID = string(v)
		case bytes.EqualFold(k, []byte("X-Amzn-ErrorType")):
			c, _, _ := bytes.Cut(v, []byte(":"))
			e.Code = string(c)
		case bytes.EqualFold(k, []byte("x-amzn-query-error")) && svc.Protocol != Query:
			// The JSON protocol of SQS carries the query protocol's code
			// ("AWS.SimpleQueueService.NonExistentQueue;Sender") here.
			c, _, _ := bytes.Cut(v, []byte(";"))
			e.Code = string(c)
		}
	}
	body := resp.Body()
	switch svc.Protocol {
	case JSON10, JSON11, RESTJSON:
		var m map[string]any
		if json.Unmarshal(body, &m) == nil {
			if e.Code == "" {
				for _, f := range []string{"__type", "code", "Code", "Type"} {
					if s, ok := m[f].(string); ok && s != "" {
						e.Code = s
						break
					}
				}
			}
			for _, f := range []string{"message", "Message", "errorMessage"} {
				if s, ok := m[f].(string); ok {
					e.Message = s
					break
				}
			}
		}
		if i := bytes.LastIndexByte([]byte(e.Code), '#'); i >= 0 {
			e.Code = e.Code[i+1:]
		}
		if i := bytes.IndexByte([]byte(e.Code), ':'); i >= 0 {
			e.Code = e.Code[:i]
		}
	case Query, RESTXML:
		if root := ParseXML(body); root != nil {
			er := root
			if x := root.Child("Error"); x != nil {
				er = x
			}
			if c := er.Child("Code"); c != nil && e.Code == "" {
				e.Code = string(c.Text)
			}
			if c := er.Child("Message"); c != nil {
				e.Message = string(c.Text)
			}
			for _, n := range []*XMLNode{root, er} {
				if c := n.Child("RequestId"); c != nil && e.RequestID == "" {
					e.RequestID = string(c.Text)
				}
				if c := n.Child("HostId"); c != nil && e.HostID == "" {
					e.HostID = string(c.Text)
				}
			}
		}
	}
	if e.Code == "" {
		switch e.Status {
		case 301:
			e.Code = "PermanentRedirect"
		case 304:
			e.Code = "NotModified"
		case 400:
			e.Code = "BadRequest"
		case 403:
			e.Code = "Forbidden"
		case 404:
			e.Code = "NotFound"
		case 412:
			e.Code = "PreconditionFailed"
		default:
			e.Code = "Http" + strconv.Itoa(e.Status)
		}
	}
	return e
}
