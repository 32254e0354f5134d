package integrations

import (
	"context"
	"encoding/base64"
	"hash/crc32"
	"net/http"
	"strings"
	"time"

	"github.com/stepd/stepd/daemon/awsclient"
	"github.com/stepd/stepd/fastpath"
	"github.com/stepd/stepd/fastpath/jsonb"
)

// restOp is how a REST operation binds its members: the method, whether
// the path holds the object key, and the members sent as query
// parameters or headers; payload names the member sent as the body.
type restOp struct {
	method  string
	key     bool
	query   map[string]string
	headers map[string]string
	fixed   []awsclient.QueryParam
	payload string
	// bodyOut names the member the answer's body becomes (getObject's
	// Body); "" means the body is an XML result (or empty).
	bodyOut string
	// outHeaders says which answer headers become members: all of
	// s3OutHeaders, or only these.
	outHeaders []string
}

var (
	s3GetHeaders = map[string]string{"Range": "Range", "IfMatch": "If-Match", "IfNoneMatch": "If-None-Match",
		"IfModifiedSince": "If-Modified-Since", "IfUnmodifiedSince": "If-Unmodified-Since",
		"ExpectedBucketOwner": "x-amz-expected-bucket-owner", "ChecksumMode": "x-amz-checksum-mode", "RequestPayer": "x-amz-request-payer",
		"SSECustomerAlgorithm": "x-amz-server-side-encryption-customer-algorithm", "SSECustomerKey": "x-amz-server-side-encryption-customer-key",
		"SSECustomerKeyMD5": "x-amz-server-side-encryption-customer-key-MD5"}
	s3GetQuery = map[string]string{"VersionId": "versionId", "PartNumber": "partNumber", "ResponseCacheControl": "response-cache-control",
		"ResponseContentDisposition": "response-content-disposition", "ResponseContentEncoding": "response-content-encoding",
		"ResponseContentLanguage": "response-content-language", "ResponseContentType": "response-content-type", "ResponseExpires": "response-expires"}
	s3PutHeaders = map[string]string{"ContentType": "Content-Type", "CacheControl": "Cache-Control", "ContentDisposition": "Content-Disposition",
		"ContentEncoding": "Content-Encoding", "ContentLanguage": "Content-Language", "ContentMD5": "Content-MD5", "Expires": "Expires",
		"ACL": "x-amz-acl", "StorageClass": "x-amz-storage-class", "ServerSideEncryption": "x-amz-server-side-encryption",
		"SSEKMSKeyId": "x-amz-server-side-encryption-aws-kms-key-id", "Tagging": "x-amz-tagging", "WebsiteRedirectLocation": "x-amz-website-redirect-location",
		"ExpectedBucketOwner": "x-amz-expected-bucket-owner", "BucketKeyEnabled": "x-amz-server-side-encryption-bucket-key-enabled",
		"IfMatch": "If-Match", "IfNoneMatch": "If-None-Match", "RequestPayer": "x-amz-request-payer"}
	s3ListQuery = map[string]string{"Prefix": "prefix", "Delimiter": "delimiter", "Marker": "marker", "MaxKeys": "max-keys",
		"EncodingType": "encoding-type", "ContinuationToken": "continuation-token", "StartAfter": "start-after", "FetchOwner": "fetch-owner"}
	s3Owner = map[string]string{"ExpectedBucketOwner": "x-amz-expected-bucket-owner", "RequestPayer": "x-amz-request-payer"}
)

// s3Ops are the S3 actions aws-sdk:s3 runs.
var s3Ops = map[string]*restOp{
	"getObject":    {method: "GET", key: true, query: s3GetQuery, headers: s3GetHeaders, bodyOut: "Body"},
	"headObject":   {method: "HEAD", key: true, query: s3GetQuery, headers: s3GetHeaders},
	"putObject":    {method: "PUT", key: true, headers: s3PutHeaders, payload: "Body", outHeaders: []string{"etag", "x-amz-version-id", "x-amz-server-side-encryption", "x-amz-expiration", "x-amz-checksum-crc32", "x-amz-checksum-crc32c", "x-amz-checksum-sha1", "x-amz-checksum-sha256", "x-amz-checksum-type", "x-amz-server-side-encryption-aws-kms-key-id", "x-amz-server-side-encryption-bucket-key-enabled"}},
	"deleteObject": {method: "DELETE", key: true, query: map[string]string{"VersionId": "versionId"}, headers: s3Owner, outHeaders: []string{"x-amz-delete-marker", "x-amz-version-id"}},
	"copyObject": {method: "PUT", key: true, headers: mergeMaps(s3PutHeaders, map[string]string{"CopySource": "x-amz-copy-source", "MetadataDirective": "x-amz-metadata-directive", "TaggingDirective": "x-amz-tagging-directive",
		"CopySourceIfMatch": "x-amz-copy-source-if-match", "CopySourceIfNoneMatch": "x-amz-copy-source-if-none-match"}), outHeaders: []string{"x-amz-version-id", "x-amz-copy-source-version-id", "x-amz-server-side-encryption", "x-amz-expiration"}},
	"listObjects":   {method: "GET", query: s3ListQuery, headers: s3Owner},
	"listObjectsV2": {method: "GET", query: s3ListQuery, headers: s3Owner, fixed: []awsclient.QueryParam{{Key: "list-type", Value: "2"}}},
	"listBuckets":   {method: "GET", query: map[string]string{"MaxBuckets": "max-buckets", "ContinuationToken": "continuation-token", "Prefix": "prefix", "BucketRegion": "bucket-region"}},
	"createBucket":  {method: "PUT", headers: map[string]string{"ACL": "x-amz-acl", "ObjectOwnership": "x-amz-object-ownership"}, outHeaders: []string{"location"}},
	"deleteBucket":  {method: "DELETE", headers: s3Owner},
	"headBucket":    {method: "HEAD", headers: s3Owner, outHeaders: []string{"x-amz-bucket-region"}},
}

func mergeMaps(a, b map[string]string) map[string]string {
	m := make(map[string]string, len(a)+len(b))
	for k, v := range a {
		m[k] = v
	}
	for k, v := range b {
		m[k] = v
	}
	return m
}

// s3OutHeaders maps answer headers to result members; 'n' and 'b' mark
// numbers and booleans, 'd' dates.
var s3OutHeaders = []struct {
	header, member string
	kind           byte
}{
	{"accept-ranges", "AcceptRanges", 's'}, {"cache-control", "CacheControl", 's'}, {"content-disposition", "ContentDisposition", 's'},
	{"content-encoding", "ContentEncoding", 's'}, {"content-language", "ContentLanguage", 's'}, {"content-length", "ContentLength", 'n'},
	{"content-range", "ContentRange", 's'}, {"content-type", "ContentType", 's'}, {"etag", "ETag", 's'}, {"expires", "Expires", 'd'},
	{"last-modified", "LastModified", 'd'}, {"location", "Location", 's'}, {"x-amz-bucket-region", "BucketRegion", 's'},
	{"x-amz-checksum-crc32", "ChecksumCRC32", 's'}, {"x-amz-checksum-crc32c", "ChecksumCRC32C", 's'}, {"x-amz-checksum-sha1", "ChecksumSHA1", 's'},
	{"x-amz-checksum-sha256", "ChecksumSHA256", 's'}, {"x-amz-checksum-type", "ChecksumType", 's'}, {"x-amz-copy-source-version-id", "CopySourceVersionId", 's'},
	{"x-amz-delete-marker", "DeleteMarker", 'b'}, {"x-amz-expiration", "Expiration", 's'}, {"x-amz-mp-parts-count", "PartsCount", 'n'},
	{"x-amz-server-side-encryption", "ServerSideEncryption", 's'}, {"x-amz-server-side-encryption-aws-kms-key-id", "SSEKMSKeyId", 's'},
	{"x-amz-server-side-encryption-bucket-key-enabled", "BucketKeyEnabled", 'b'}, {"x-amz-storage-class", "StorageClass", 's'},
	{"x-amz-tagging-count", "TagCount", 'n'}, {"x-amz-version-id", "VersionId", 's'}, {"x-amz-website-redirect-location", "WebsiteRedirectLocation", 's'},
}

// sdkS3 runs aws-sdk:s3:ACTION for the actions in s3Ops over REST-XML:
// the bucket (path-style on an overridden endpoint, else its virtual
// host), the key in the path, members in the query and headers, Body as
// the payload (a non-string Body sent as its JSON text). The result holds
// the answer's headers as members, Metadata from x-amz-meta-*, and Body
// as text (getObject) or the XML result's members.
func (s *Services) sdkS3(ctx context.Context, task *fastpath.Task, action string, input, dst []byte) ([]byte, error) {
	op := s3Ops[action]
	if op == nil {
		return dst, Unsupported(task.Resource)
	}
	c := acquireCall(awsclient.S3)
	defer releaseCall(c)
	c.req.Method = op.method
	c.req.Query = append(c.req.Query, op.fixed...)
	what := "aws-sdk:s3:" + action
	var path []byte
	var it jsonb.ObjectIter
	it.Reset(input)
	for k, v, ok := it.Next(); ok; k, v, ok = it.Next() {
		name := keyText(k)
		text := string(textOf(nil, v))
		switch {
		case name == "Bucket":
			c.req.Bucket = text
		case name == "Key" && op.key:
			path = append(append(path[:0], '/'), awsclient.AppendURIEncode(nil, text, true)...)
		case name == op.payload && op.payload != "":
			// AWS sends the JSON text of the value, a string's quotes
			// included ("text data" stores "\"text data\"").
			c.body = append(c.body[:0], v...)
		case name == "Metadata" && op.method == "PUT" && jsonb.KindOf(v) == jsonb.KindObject:
			var mi jsonb.ObjectIter
			mi.Reset(v)
			for mk, mv, ok := mi.Next(); ok; mk, mv, ok = mi.Next() {
				c.req.Headers = append(c.req.Headers, awsclient.Header{Name: "x-amz-meta-" + strings.ToLower(keyText(mk)), Value: string(textOf(nil, mv))})
			}
		case op.query[name] != "":
			c.req.Query = append(c.req.Query, awsclient.QueryParam{Key: op.query[name], Value: text})
		case op.headers[name] != "":
			c.req.Headers = append(c.req.Headers, awsclient.Header{Name: strings.ToLower(op.headers[name]), Value: text})
		default:
			return dst, runtimeFailure(what, "have the field '"+name+"', which S3 "+string(action[0]-'a'+'A')+action[1:]+" does not take")
		}
	}
	if c.req.Bucket == "" && action != "listBuckets" {
		return dst, runtimeFailure(what, "must have a Bucket")
	}
	if op.key && len(path) == 0 {
		return dst, runtimeFailure(what, "must have a Key")
	}
	c.req.Path = string(path)
	if op.payload != "" {
		sum := crc32.ChecksumIEEE(c.body)
		crc := base64.StdEncoding.EncodeToString([]byte{byte(sum >> 24), byte(sum >> 16), byte(sum >> 8), byte(sum)})
		c.req.Headers = append(c.req.Headers, awsclient.Header{Name: "x-amz-checksum-crc32", Value: crc}, awsclient.Header{Name: "x-amz-sdk-checksum-algorithm", Value: "CRC32"})
		if !hasHeader(c.req.Headers, "content-type") {
			c.req.ContentType = "binary/octet-stream"
		}
	}
	if err := s.do(ctx, c, sdkStyle); err != nil {
		return dst, err
	}
	dst = append(dst, '{')
	n := 0
	member := func(name string) {
		if n > 0 {
			dst = append(dst, ',')
		}
		n++
		dst = jsonb.AppendQuotedString(dst, name)
		dst = append(dst, ':')
	}
	checksums := op.outHeaders != nil || hasHeader(c.req.Headers, "x-amz-checksum-mode")
	for _, h := range s3OutHeaders {
		if op.outHeaders != nil && !contains(op.outHeaders, h.header) {
			continue
		}
		if !checksums && strings.HasPrefix(h.header, "x-amz-checksum-") {
			continue // reported on reads only when ChecksumMode asks for them
		}
		v := headerValue(&c.resp, h.header)
		if v == nil {
			continue
		}
		member(h.member)
		switch h.kind {
		case 'n', 'b':
			dst = append(dst, v...)
		case 'd':
			if t, err := http.ParseTime(string(v)); err == nil {
				dst = append(dst, '"')
				dst = t.UTC().AppendFormat(dst, time.RFC3339)
				dst = append(dst, '"')
			} else {
				dst = jsonb.AppendQuoted(dst, v)
			}
		default:
			dst = jsonb.AppendQuoted(dst, v)
		}
	}
	if op.outHeaders == nil { // getObject, headObject: Metadata, always
		member("Metadata")
		dst = append(dst, '{')
		m := 0
		for k, v := range c.resp.Header.All() {
			if len(k) > 11 && strings.EqualFold(string(k[:11]), "x-amz-meta-") {
				if m > 0 {
					dst = append(dst, ',')
				}
				m++
				dst = jsonb.AppendQuoted(dst, []byte(strings.ToLower(string(k[11:]))))
				dst = append(dst, ':')
				dst = jsonb.AppendQuoted(dst, v)
			}
		}
		dst = append(dst, '}')
	}
	body := c.resp.Body()
	switch {
	case op.bodyOut != "":
		member(op.bodyOut)
		dst = jsonb.AppendQuoted(dst, body)
	case len(body) > 0 && op.method != "HEAD":
		if root := awsclient.ParseXML(body); root != nil {
			obj := appendXMLObject(nil, root, awsclient.S3)
			if len(obj) > 2 {
				if n > 0 {
					dst = append(dst, ',')
				}
				dst = append(dst, obj[1:len(obj)-1]...)
			}
		}
	}
	return append(dst, '}'), nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func hasHeader(hs []awsclient.Header, name string) bool {
	for _, h := range hs {
		if h.Name == name {
			return true
		}
	}
	return false
}
