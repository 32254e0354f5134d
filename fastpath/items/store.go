package items

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/stepd/stepd/fastpath"
	"github.com/stepd/stepd/fastpath/jsonb"
)

// Store is the object storage a Distributed Map reads its items from:
// Amazon S3 in the daemon, MemStore in tests. Implementations must be
// safe for concurrent use.
type Store interface {
	// GetObject opens an object's content; versionID "" means the latest.
	GetObject(ctx context.Context, bucket, key, versionID string) (io.ReadCloser, error)
	// ObjectAt opens an object for reading at any offset, and returns its
	// size: a Parquet file is read from its end.
	ObjectAt(ctx context.Context, bucket, key, versionID string) (io.ReaderAt, int64, error)
	// ListObjects returns one page of the objects whose keys start with
	// prefix, in key order, starting at the continuation token ("" for the
	// first page), and the token of the next page ("" after the last).
	ListObjects(ctx context.Context, bucket, prefix, token string) ([]Object, string, error)
}

// Object is one entry of a ListObjects page.
type Object struct {
	Key          string
	ETag         string // with its quotes, as S3 sends it
	LastModified time.Time
	Size         int64
	StorageClass string
}

// S3Reader is the fastpath.ItemReader of the ItemReader Resources
// arn:aws:states:::s3:getObject and arn:aws:states:::s3:listObjectsV2,
// over a Store. It is safe for concurrent use if its Store is.
type S3Reader struct {
	Store Store
}

var _ fastpath.ItemReader = S3Reader{}

// readerParams are the ItemReader Parameters (or Arguments) it acts on.
type readerParams struct {
	Bucket    string
	Key       string
	VersionID string `json:"VersionId"`
	Prefix    string
}

// allowedParams lists the parameters each API takes here; any other is
// refused by name rather than ignored.
var allowedParams = map[string]map[string]bool{
	"getObject":     {"Bucket": true, "Key": true, "VersionId": true},
	"listObjectsV2": {"Bucket": true, "Prefix": true},
}

// OpenItems implements fastpath.ItemReader.
func (s S3Reader) OpenItems(ctx context.Context, req *fastpath.ItemsRequest) (fastpath.ItemStream, error) {
	api := req.Resource[strings.LastIndexByte(req.Resource, ':')+1:]
	allowed := allowedParams[api]
	if allowed == nil {
		return nil, failed("The ItemReader Resource " + req.Resource + " is not supported")
	}
	var p readerParams
	var it jsonb.ObjectIter
	it.Reset(req.Parameters)
	for k, v, ok := it.Next(); ok; k, v, ok = it.Next() {
		name := string(jsonb.AppendUnquoted(nil, k))
		if !allowed[name] {
			return nil, failed("The ItemReader parameter " + name + " of s3:" + api + " is not supported by this engine yet")
		}
		if jsonb.KindOf(v) != jsonb.KindString {
			return nil, failed("The ItemReader parameter " + name + " must be a string")
		}
	}
	if err := json.Unmarshal(req.Parameters, &p); err != nil || p.Bucket == "" {
		return nil, failed("The ItemReader parameters must name a Bucket")
	}
	if api == "listObjectsV2" {
		return &listing{ctx: ctx, store: s.Store, bucket: p.Bucket, prefix: p.Prefix}, nil
	}
	if p.Key == "" {
		return nil, failed("The ItemReader parameters of s3:getObject must name a Key")
	}
	return s.openObject(ctx, p, req.Config)
}

// openObject opens the items of one object: a file of items, or a
// manifest listing such files.
func (s S3Reader) openObject(ctx context.Context, p readerParams, cfg *fastpath.ReaderConfig) (fastpath.ItemStream, error) {
	if cfg.InputType == "PARQUET" && cfg.ManifestType == "" {
		return s.file(ctx, p.Bucket, p.Key, p.VersionID, cfg)
	}
	body, err := s.Store.GetObject(ctx, p.Bucket, p.Key, p.VersionID)
	if err != nil {
		return nil, err
	}
	switch {
	case cfg.InputType == "MANIFEST" || cfg.ManifestType == "S3_INVENTORY":
		m, err := ReadInventoryManifest(body)
		body.Close()
		if err != nil {
			return nil, err
		}
		return s.inventory(ctx, m), nil
	case cfg.ManifestType == "ATHENA_DATA":
		a := NewAthenaManifest(body)
		seq := NewSequence(func() (Reader, error) {
			bucket, key, err := a.Next()
			if err != nil {
				return nil, err
			}
			return s.file(ctx, bucket, key, "", cfg)
		})
		return &stream{Reader: seq, closers: []io.Closer{seq, body}}, nil
	}
	r, err := parser(body, cfg)
	if err != nil {
		body.Close()
		return nil, err
	}
	return &stream{Reader: r, closers: []io.Closer{body}}, nil
}

// file opens one data file as a stream of items.
func (s S3Reader) file(ctx context.Context, bucket, key, version string, cfg *fastpath.ReaderConfig) (*stream, error) {
	if cfg.InputType == "PARQUET" {
		r, size, err := s.Store.ObjectAt(ctx, bucket, key, version)
		if err != nil {
			return nil, err
		}
		p, err := NewParquet(r, size)
		if err != nil {
			return nil, err
		}
		return &stream{Reader: p}, nil
	}
	body, err := s.Store.GetObject(ctx, bucket, key, version)
	if err != nil {
		return nil, err
	}
	r, err := parser(body, cfg)
	if err != nil {
		body.Close()
		return nil, err
	}
	return &stream{Reader: r, closers: []io.Closer{body}}, nil
}

// inventory reads the rows of an S3 Inventory's gzip-compressed CSV files.
func (s S3Reader) inventory(ctx context.Context, m *InventoryManifest) fastpath.ItemStream {
	keys := m.Keys
	seq := NewSequence(func() (Reader, error) {
		if len(keys) == 0 {
			return nil, io.EOF
		}
		key := keys[0]
		keys = keys[1:]
		body, err := s.Store.GetObject(ctx, m.Bucket, key, "")
		if err != nil {
			return nil, err
		}
		zr, err := gzip.NewReader(body)
		if err != nil {
			body.Close()
			return nil, failed("The S3 Inventory file " + key + " is not gzip-compressed: " + err.Error())
		}
		return &stream{Reader: NewCSV(zr, CSVConfig{HeaderLocation: HeaderGiven, Headers: m.Columns}), closers: []io.Closer{zr, body}}, nil
	})
	return &stream{Reader: seq, closers: []io.Closer{seq}}
}

// parser returns the reader of body's InputType.
func parser(body io.Reader, cfg *fastpath.ReaderConfig) (Reader, error) {
	switch cfg.InputType {
	case "JSON":
		return NewJSONArray(body), nil
	case "JSONL":
		return NewJSONLines(body), nil
	case "CSV":
		c := CSVConfig{HeaderLocation: cfg.CSVHeaderLocation, Headers: cfg.CSVHeaders}
		if cfg.CSVDelimiter != "" {
			c.Delimiter = Delimiters[cfg.CSVDelimiter]
		}
		return NewCSV(body, c), nil
	}
	return nil, failed("InputType " + cfg.InputType + " is not supported by this engine yet")
}

// stream is a Reader with the things to close when it ends.
type stream struct {
	Reader
	closers []io.Closer
}

// Close closes them all and returns the first error.
func (s *stream) Close() error {
	var first error
	for _, c := range s.closers {
		if err := c.Close(); err != nil && first == nil {
			first = err
		}
	}
	s.closers = nil
	return first
}

// listing reads the objects under a prefix, page by page: one page (at
// most 1,000 objects in S3) in memory at a time. Each item is
// {"Etag":…,"Key":…,"LastModified":…,"Size":…,"StorageClass":…}, with
// LastModified in seconds since the epoch, as AWS's documented example
// shows.
type listing struct {
	ctx            context.Context
	store          Store
	bucket, prefix string
	page           []Object
	token          string
	started        bool
}

// Next implements Reader.
func (l *listing) Next(dst []byte) ([]byte, error) {
	for len(l.page) == 0 {
		if l.started && l.token == "" {
			return dst, io.EOF
		}
		page, next, err := l.store.ListObjects(l.ctx, l.bucket, l.prefix, l.token)
		if err != nil {
			return dst, err
		}
		l.page, l.token, l.started = page, next, true
	}
	o := l.page[0]
	l.page = l.page[1:]
	dst = append(dst, `{"Etag":`...)
	dst = jsonb.AppendQuotedString(dst, o.ETag)
	dst = append(dst, `,"Key":`...)
	dst = jsonb.AppendQuotedString(dst, o.Key)
	dst = append(dst, `,"LastModified":`...)
	dst = strconv.AppendInt(dst, o.LastModified.Unix(), 10)
	dst = append(dst, `,"Size":`...)
	dst = strconv.AppendInt(dst, o.Size, 10)
	dst = append(dst, `,"StorageClass":`...)
	dst = jsonb.AppendQuotedString(dst, o.StorageClass)
	return append(dst, '}'), nil
}

// Close implements fastpath.ItemStream.
func (l *listing) Close() error { return nil }

// MemStore is a Store in memory, for tests: objects by bucket and key.
// It is not safe for concurrent writes; reads may run concurrently once
// it is filled.
type MemStore struct {
	// PageSize is the most objects a ListObjects page holds; 0 means
	// S3's 1,000.
	PageSize int
	objects  map[string]map[string][]byte
}

// memModified is the LastModified of every MemStore object.
var memModified = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// Put stores an object.
func (m *MemStore) Put(bucket, key string, body []byte) {
	if m.objects == nil {
		m.objects = map[string]map[string][]byte{}
	}
	if m.objects[bucket] == nil {
		m.objects[bucket] = map[string][]byte{}
	}
	m.objects[bucket][key] = body
}

// GetObject implements Store; a missing object is S3's NoSuchKey.
func (m *MemStore) GetObject(_ context.Context, bucket, key, _ string) (io.ReadCloser, error) {
	body, ok := m.objects[bucket][key]
	if !ok {
		return nil, noSuchKey
	}
	return io.NopCloser(bytes.NewReader(body)), nil
}

// ObjectAt implements Store.
func (m *MemStore) ObjectAt(_ context.Context, bucket, key, _ string) (io.ReaderAt, int64, error) {
	body, ok := m.objects[bucket][key]
	if !ok {
		return nil, 0, noSuchKey
	}
	return bytes.NewReader(body), int64(len(body)), nil
}

// noSuchKey is S3's answer for a missing object.
var noSuchKey = &fastpath.Failure{Name: "S3.NoSuchKeyException", Cause: "The specified key does not exist."}

// ListObjects implements Store; the continuation token is the last key
// of the previous page.
func (m *MemStore) ListObjects(_ context.Context, bucket, prefix, token string) ([]Object, string, error) {
	size := m.PageSize
	if size == 0 {
		size = 1000
	}
	var keys []string
	for k := range m.objects[bucket] {
		if strings.HasPrefix(k, prefix) && k > token {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	next := ""
	if len(keys) > size {
		keys, next = keys[:size], keys[size-1]
	}
	page := make([]Object, len(keys))
	for i, k := range keys {
		page[i] = Object{Key: k, ETag: `"` + strconv.Itoa(len(m.objects[bucket][k])) + `"`, LastModified: memModified, Size: int64(len(m.objects[bucket][k])), StorageClass: "STANDARD"}
	}
	return page, next, nil
}
