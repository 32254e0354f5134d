package integrations

import (
	"context"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/stepd/stepd/daemon/awsclient"
	"github.com/stepd/stepd/fastpath"
	"github.com/stepd/stepd/fastpath/items"
)

// S3Store is Amazon S3 as the source of a Distributed Map's items and the
// destination of its exported results: the items.Store behind the node's
// fastpath.ItemReader (ItemReader) and its fastpath.ResultStore. It calls
// S3 through the node's AWS client, so endpoints and credentials are the
// integrations'. It is safe for concurrent use.
type S3Store struct {
	s      *Services
	reader fastpath.ItemReader
}

var (
	_ items.Store          = (*S3Store)(nil)
	_ fastpath.ResultStore = (*S3Store)(nil)
)

// NewS3Store returns the S3Store over s's client.
func NewS3Store(s *Services) *S3Store {
	st := &S3Store{s: s}
	st.reader = items.S3Reader{Store: st}
	return st
}

// ItemReader is the fastpath.ItemReader of ItemReaders whose Resource is
// s3:getObject or s3:listObjectsV2.
func (st *S3Store) ItemReader() fastpath.ItemReader { return st.reader }

// s3RangeBytes is how much of an object one GetObject reads: half the
// largest answer the AWS client takes, so that an item file of any size
// streams through a buffer of this size.
const s3RangeBytes = 512 << 10

// GetObject implements items.Store: it reads the object a range at a
// time, never the whole of it.
func (st *S3Store) GetObject(ctx context.Context, bucket, key, versionID string) (io.ReadCloser, error) {
	return &s3RangeReader{ctx: ctx, st: st, bucket: bucket, key: key, version: versionID}, nil
}

// s3RangeReader reads an object by successive Range requests.
type s3RangeReader struct {
	ctx                  context.Context
	st                   *S3Store
	bucket, key, version string
	off                  int64 // where the next range starts
	buf                  []byte
	pos                  int
	done                 bool
}

// Read implements io.Reader.
func (r *s3RangeReader) Read(p []byte) (int, error) {
	for r.pos >= len(r.buf) {
		if r.done {
			return 0, io.EOF
		}
		if err := r.fetch(); err != nil {
			return 0, err
		}
	}
	n := copy(p, r.buf[r.pos:])
	r.pos += n
	return n, nil
}

// Close implements io.Closer.
func (r *s3RangeReader) Close() error { r.buf, r.done = nil, true; return nil }

// fetch reads the next range.
func (r *s3RangeReader) fetch() error {
	body, total, past, err := r.st.getRange(r.ctx, r.bucket, r.key, r.version, r.off, r.off+s3RangeBytes-1, r.buf[:0])
	if err != nil {
		return err
	}
	r.buf, r.pos = body, 0
	r.off += int64(len(body))
	r.done = past || total < 0 || r.off >= total || len(body) == 0
	return nil
}

// getRange reads the bytes from to to (inclusive) of an object, appended
// to dst: the bytes, the object's size (-1 when the answer does not say:
// one without Content-Range is the whole object), and whether the range
// starts past the object's end (416, also the answer for an empty
// object).
func (st *S3Store) getRange(ctx context.Context, bucket, key, version string, from, to int64, dst []byte) ([]byte, int64, bool, error) {
	c := acquireCall(awsclient.S3)
	defer releaseCall(c)
	c.req.Method = "GET"
	c.req.Bucket = bucket
	c.req.Path = objectPath(key)
	if version != "" {
		c.req.Query = append(c.req.Query, awsclient.QueryParam{Key: "versionId", Value: version})
	}
	c.req.Headers = append(c.req.Headers, awsclient.Header{Name: "range", Value: "bytes=" + strconv.FormatInt(from, 10) + "-" + strconv.FormatInt(to, 10)})
	if err := st.s.c.Do(ctx, &c.req, &c.resp); err != nil {
		return dst, 0, false, failure(sdkStyle, awsclient.S3, err)
	}
	switch code := c.resp.StatusCode(); {
	case code == 416:
		return dst, -1, true, nil
	case code >= 300:
		return dst, 0, false, failure(sdkStyle, awsclient.S3, awsclient.ParseError(awsclient.S3, &c.resp))
	}
	total := int64(-1)
	if cr := string(headerValue(&c.resp, "content-range")); cr != "" {
		if _, size, ok := strings.Cut(cr, "/"); ok {
			total, _ = strconv.ParseInt(size, 10, 64)
		}
	}
	return append(dst, c.resp.Body()...), total, false, nil
}

// ObjectAt implements items.Store: each ReadAt is one ranged GetObject.
func (st *S3Store) ObjectAt(ctx context.Context, bucket, key, versionID string) (io.ReaderAt, int64, error) {
	r := &s3ObjectAt{ctx: ctx, st: st, bucket: bucket, key: key, version: versionID}
	var one [1]byte
	body, total, past, err := st.getRange(ctx, bucket, key, versionID, 0, 0, one[:0])
	switch {
	case err != nil:
		return nil, 0, err
	case past:
		return r, 0, nil
	case total < 0:
		total = int64(len(body)) // the whole object came
	}
	return r, total, nil
}

// s3ObjectAt reads an object at any offset.
type s3ObjectAt struct {
	ctx                  context.Context
	st                   *S3Store
	bucket, key, version string
}

// ReadAt implements io.ReaderAt.
func (r *s3ObjectAt) ReadAt(p []byte, off int64) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	body, _, past, err := r.st.getRange(r.ctx, r.bucket, r.key, r.version, off, off+int64(len(p))-1, p[:0])
	if err != nil {
		return 0, err
	}
	n := copy(p, body) // body is p unless the answer was longer than asked
	if past || n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// ListObjects implements items.Store with one ListObjectsV2 page.
func (st *S3Store) ListObjects(ctx context.Context, bucket, prefix, token string) ([]items.Object, string, error) {
	c := acquireCall(awsclient.S3)
	defer releaseCall(c)
	c.req.Method = "GET"
	c.req.Bucket = bucket
	c.req.Query = append(c.req.Query, awsclient.QueryParam{Key: "list-type", Value: "2"})
	if prefix != "" {
		c.req.Query = append(c.req.Query, awsclient.QueryParam{Key: "prefix", Value: prefix})
	}
	if token != "" {
		c.req.Query = append(c.req.Query, awsclient.QueryParam{Key: "continuation-token", Value: token})
	}
	if err := st.s.do(ctx, c, sdkStyle); err != nil {
		return nil, "", err
	}
	root := awsclient.ParseXML(c.resp.Body())
	if root != nil && len(root.Children) == 1 {
		root = root.Children[0] // ListBucketResult
	}
	if root == nil {
		return nil, "", &items.Error{Cause: "S3 ListObjectsV2 answered XML that cannot be read"}
	}
	var page []items.Object
	for _, n := range root.Children {
		if n.Name != "Contents" {
			continue
		}
		o := items.Object{Key: childText(n, "Key"), ETag: childText(n, "ETag"), StorageClass: childText(n, "StorageClass")}
		o.Size, _ = strconv.ParseInt(childText(n, "Size"), 10, 64)
		o.LastModified, _ = time.Parse(time.RFC3339, childText(n, "LastModified"))
		page = append(page, o)
	}
	next := ""
	if childText(root, "IsTruncated") == "true" {
		next = childText(root, "NextContinuationToken")
	}
	return page, next, nil
}

// childText is the text of n's child called name, "" when it has none.
func childText(n *awsclient.XMLNode, name string) string {
	if c := n.Child(name); c != nil {
		return string(c.Text)
	}
	return ""
}

// PutObject implements fastpath.ResultStore.
func (st *S3Store) PutObject(ctx context.Context, bucket, key string, body []byte) error {
	c := acquireCall(awsclient.S3)
	defer releaseCall(c)
	c.req.Method = "PUT"
	c.req.Bucket = bucket
	c.req.Path = objectPath(key)
	c.req.ContentType = "application/json"
	c.body = append(c.body[:0], body...)
	return st.s.do(ctx, c, sdkStyle)
}

// objectPath is the request path of an object.
func objectPath(key string) string {
	return string(awsclient.AppendURIEncode([]byte{'/'}, key, true))
}

// s3PartBytes is the size of the parts of a multipart upload: S3's
// smallest part but the last is 5 MiB.
const s3PartBytes = 5 << 20

// CreateObject implements fastpath.ResultStore: the object is sent in
// parts of s3PartBytes as it is written (one PutObject when it is
// smaller than one part), so a result file of any size holds one part in
// memory.
func (st *S3Store) CreateObject(ctx context.Context, bucket, key string) (fastpath.ObjectWriter, error) {
	return &s3ObjectWriter{ctx: ctx, st: st, bucket: bucket, key: key}, nil
}

// s3ObjectWriter writes one object by a multipart upload.
type s3ObjectWriter struct {
	ctx         context.Context
	st          *S3Store
	bucket, key string
	buf         []byte
	uploadID    string
	etags       []string // of the parts sent, in order
}

// Write implements fastpath.ObjectWriter.
func (w *s3ObjectWriter) Write(p []byte) (int, error) {
	if w.buf == nil && len(p) < s3PartBytes {
		w.buf = make([]byte, 0, s3PartBytes+1<<20) // a part and the result that ends it
	}
	w.buf = append(w.buf, p...)
	if len(w.buf) >= s3PartBytes {
		if err := w.sendPart(); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}

// sendPart uploads w.buf as the next part, starting the upload first.
func (w *s3ObjectWriter) sendPart() error {
	if w.uploadID == "" {
		c := acquireCall(awsclient.S3)
		defer releaseCall(c)
		w.request(c, "POST", awsclient.QueryParam{Key: "uploads"})
		c.req.ContentType = "application/json"
		if err := w.st.s.do(w.ctx, c, sdkStyle); err != nil {
			return err
		}
		root := awsclient.ParseXML(c.resp.Body())
		if root != nil && len(root.Children) == 1 {
			root = root.Children[0] // InitiateMultipartUploadResult
		}
		if root != nil {
			w.uploadID = childText(root, "UploadId")
		}
		if w.uploadID == "" {
			return &items.Error{Cause: "S3 CreateMultipartUpload answered no UploadId"}
		}
	}
	c := acquireCall(awsclient.S3)
	defer releaseCall(c)
	w.request(c, "PUT", awsclient.QueryParam{Key: "partNumber", Value: strconv.Itoa(len(w.etags) + 1)}, awsclient.QueryParam{Key: "uploadId", Value: w.uploadID})
	c.body = w.buf // not a copy: given back before c goes back to its pool
	err := w.st.s.do(w.ctx, c, sdkStyle)
	c.body = nil
	if err != nil {
		return err
	}
	w.etags = append(w.etags, string(headerValue(&c.resp, "etag")))
	w.buf = w.buf[:0]
	return nil
}

// request fills c with a request about w's object.
func (w *s3ObjectWriter) request(c *call, method string, query ...awsclient.QueryParam) {
	c.req.Method = method
	c.req.Bucket = w.bucket
	c.req.Path = objectPath(w.key)
	c.req.Query = append(c.req.Query, query...)
}

// Close implements fastpath.ObjectWriter: it sends what is left and
// completes the upload.
func (w *s3ObjectWriter) Close() error {
	if w.uploadID == "" {
		err := w.st.PutObject(w.ctx, w.bucket, w.key, w.buf)
		w.buf = nil
		return err
	}
	if len(w.buf) > 0 {
		if err := w.sendPart(); err != nil {
			w.Abort()
			return err
		}
	}
	c := acquireCall(awsclient.S3)
	defer releaseCall(c)
	w.request(c, "POST", awsclient.QueryParam{Key: "uploadId", Value: w.uploadID})
	c.req.ContentType = "application/xml"
	c.body = append(c.body[:0], "<CompleteMultipartUpload>"...)
	for i, etag := range w.etags {
		c.body = append(c.body, "<Part><PartNumber>"...)
		c.body = strconv.AppendInt(c.body, int64(i+1), 10)
		c.body = append(c.body, "</PartNumber><ETag>"...)
		c.body = append(c.body, etag...) // "hex": nothing to escape
		c.body = append(c.body, "</ETag></Part>"...)
	}
	c.body = append(c.body, "</CompleteMultipartUpload>"...)
	w.buf = nil
	return w.st.s.do(w.ctx, c, sdkStyle)
}

// Abort implements fastpath.ObjectWriter: it aborts the upload, if one
// was started.
func (w *s3ObjectWriter) Abort() {
	w.buf = nil
	if w.uploadID == "" {
		return
	}
	c := acquireCall(awsclient.S3)
	defer releaseCall(c)
	w.request(c, "DELETE", awsclient.QueryParam{Key: "uploadId", Value: w.uploadID})
	w.st.s.do(w.ctx, c, sdkStyle) // best effort: S3 expires what is left
	w.uploadID = ""
}
