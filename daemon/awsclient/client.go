package awsclient

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"time"
	"unsafe"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/smithy-go/logging"
	"github.com/valyala/fasthttp"
)

// Config says where a Client finds its settings. The zero value with a
// Region is usable: endpoints and credentials come from the environment
// and the shared files, as the AWS SDKs find them.
type Config struct {
	// Region is the region of AWS's endpoints and of the signatures
	// (stepd's -region).
	Region string
	// Getenv reads the environment; nil means os.Getenv. Tests replace it.
	Getenv func(string) string
	// Credentials replaces the SDK's default credential chain when not nil.
	Credentials aws.CredentialsProvider
	// Endpoints overrides the endpoint of a service before any other
	// setting (-lambda-endpoint is AWS_ENDPOINT_URL_LAMBDA said by flag).
	Endpoints map[*Service]string
	// NoSharedConfig skips the shared config and credentials files, so
	// that tests do not depend on the home directory.
	NoSharedConfig bool
	// MaxConnsPerEndpoint bounds the connections to each endpoint host, so
	// that a hung service holds at most this many; calls beyond it wait for
	// a free one until their deadline. 0 means 256.
	MaxConnsPerEndpoint int
	// MaxResponseBytes bounds a response body; a larger one fails the call
	// with ErrResponseTooLarge while reading rather than filling memory.
	// 0 means 1 MiB, four times the largest state payload.
	MaxResponseBytes int
	// MaxDuration bounds a call whose context has no deadline (a Task
	// without TimeoutSeconds in a STANDARD machine). 0 means 5 minutes.
	MaxDuration time.Duration
}

// ErrResponseTooLarge is returned by Do when a response body exceeds
// Config.MaxResponseBytes.
var ErrResponseTooLarge = errors.New("the response exceeds the largest body stepd reads")

// ClientError is a call that got no answer from the service: the endpoint
// could not be reached, the connection broke, or credentials could not be
// loaded. Its text never holds credentials.
type ClientError struct {
	// Msg is the text of the AWS SDK for Java's SdkClientException.
	Msg string
}

func (e *ClientError) Error() string { return e.Msg }

// Client calls AWS services. It is safe for concurrent use; create one per
// node and keep it for the node's lifetime (it holds the connection pools
// and the cached credentials and signing keys).
type Client struct {
	region      string
	endpoints   [len(Services)]Endpoint
	epErr       [len(Services)]error
	signers     [len(Services)]signer
	creds       aws.CredentialsProvider
	hc          *fasthttp.Client
	maxDuration time.Duration
}

// New resolves every service's endpoint and the credential chain. A
// service whose endpoint cannot be resolved fails its calls (with the
// reason), not New, so that a bad setting for one service does not stop a
// node that never calls it. New fails when the shared config cannot be read.
func New(ctx context.Context, cfg Config) (*Client, error) {
	getenv := cfg.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	var src endpointSources
	creds := cfg.Credentials
	region := cfg.Region
	if !cfg.NoSharedConfig || creds == nil {
		// The SDK's own log lines (IMDS fallbacks) would go to stderr
		// outside stepd's log; a failed retrieval reaches the task's cause.
		opts := []func(*config.LoadOptions) error{config.WithLogger(logging.Nop{})}
		if region != "" {
			opts = append(opts, config.WithRegion(region))
		}
		if cfg.NoSharedConfig {
			opts = append(opts, config.WithSharedConfigFiles([]string{}), config.WithSharedCredentialsFiles([]string{}))
		}
		ac, err := config.LoadDefaultConfig(ctx, opts...)
		if err != nil {
			return nil, fmt.Errorf("cannot load the AWS shared config: %w", err)
		}
		if creds == nil {
			creds = ac.Credentials
		}
		if region == "" {
			region = ac.Region
		}
		for _, s := range ac.ConfigSources {
			if sc, ok := s.(config.SharedConfig); ok {
				src.services = map[string]string{}
				for k, v := range sc.Services.ServiceValues {
					if u := v["endpoint_url"]; u != "" {
						src.services[k] = u
					}
				}
				if sc.BaseEndpoint != "" {
					src.global = sc.BaseEndpoint
				}
				if sc.IgnoreConfiguredEndpoints != nil {
					src.ignore = *sc.IgnoreConfiguredEndpoints
				}
			}
		}
	}
	if creds == nil {
		creds = aws.AnonymousCredentials{}
	}
	if _, cached := creds.(*aws.CredentialsCache); !cached {
		if _, anon := creds.(aws.AnonymousCredentials); !anon {
			creds = aws.NewCredentialsCache(creds)
		}
	}
	maxConns := cfg.MaxConnsPerEndpoint
	if maxConns <= 0 {
		maxConns = 256
	}
	maxBody := cfg.MaxResponseBytes
	if maxBody <= 0 {
		maxBody = 1 << 20
	}
	maxDur := cfg.MaxDuration
	if maxDur <= 0 {
		maxDur = 5 * time.Minute
	}
	c := &Client{
		region:      region,
		creds:       creds,
		maxDuration: maxDur,
		hc: &fasthttp.Client{
			Name:                          "stepd",
			MaxConnsPerHost:               maxConns,
			MaxConnWaitTimeout:            time.Minute, // the call's deadline bounds it first
			MaxIdleConnDuration:           time.Minute,
			MaxResponseBodySize:           maxBody,
			DisableHeaderNamesNormalizing: true, // report headers as the service spelled them
			DisablePathNormalizing:        true, // S3 keys are sent as escaped
			NoDefaultUserAgentHeader:      true,
			ReadBufferSize:                8 << 10,
		},
	}
	for _, svc := range Services {
		c.endpoints[svc.index], c.epErr[svc.index] = resolveEndpoint(svc, region, cfg.Endpoints[svc], getenv, src)
		c.signers[svc.index] = signer{region: region, service: svc.SigningName}
	}
	return c, nil
}

// Region is the region the client signs for.
func (c *Client) Region() string { return c.region }

// Endpoint returns where svc's requests go, or why there is no endpoint.
func (c *Client) Endpoint(svc *Service) (*Endpoint, error) {
	return &c.endpoints[svc.index], c.epErr[svc.index]
}

// Request is one call to a service, built by the protocol encoders of the
// caller. Strings and slices are read during Do only.
type Request struct {
	Service *Service
	// Method is the HTTP method; "" means POST.
	Method string
	// Path is the escaped path after the endpoint's base path, beginning
	// with '/'; "" means "/". For S3 it excludes the bucket.
	Path string
	// Query holds the query parameters, unescaped.
	Query []QueryParam
	// Headers are extra headers with lower-case names; x-amz-* ones are
	// signed.
	Headers []Header
	// Target is the operation of a JSON service, sent as
	// X-Amz-Target: <TargetPrefix>.<Target>.
	Target string
	// ContentType of Body, "" for none.
	ContentType string
	Body        []byte
	// Bucket is the S3 bucket: path-style on an overridden endpoint or for
	// a name that is not a DNS label, else the bucket's virtual host.
	Bucket string
}

const (
	strHost     = "host"
	strAmzDate  = "x-amz-date"
	strToken    = "x-amz-security-token"
	strTarget   = "x-amz-target"
	strCType    = "content-type"
	strSHA256   = "x-amz-content-sha256"
	methodPOST  = "POST"
	emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
)

// Do sends r, signed, to its service's endpoint and reads the answer into
// resp (any status: the caller maps error answers with ParseError). It
// returns a *ClientError when no answer came, ErrResponseTooLarge, or
// ctx.Err() when the context ended first.
func (c *Client) Do(ctx context.Context, r *Request, resp *fasthttp.Response) error {
	svc := r.Service
	if err := c.epErr[svc.index]; err != nil {
		return &ClientError{Msg: "Unable to execute HTTP request: " + err.Error()}
	}
	ep := &c.endpoints[svc.index]
	creds, err := c.creds.Retrieve(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return &ClientError{Msg: "Unable to load AWS credentials from any provider in the chain: " + credsErrText(err)}
	}
	s := scratchPool.Get().(*scratch)
	defer scratchPool.Put(s)
	req := fasthttp.AcquireRequest()
	defer fasthttp.ReleaseRequest(req)

	host := ep.Host
	method := r.Method
	if method == "" {
		method = methodPOST
	}
	path := r.Path
	if path == "" {
		path = "/"
	}
	// The request line: the endpoint's base path, the bucket, the path.
	p := s.pathBuf[:0]
	p = append(p, ep.Path...)
	if r.Bucket != "" {
		if !ep.Overridden && dnsBucket(r.Bucket) {
			s.hostBuf = append(append(append(s.hostBuf[:0], r.Bucket...), '.'), host...)
			host = bytesToString(s.hostBuf)
		} else {
			p = append(p, '/')
			p = AppendURIEncode(p, r.Bucket, false)
			if path == "/" && r.Path == "" {
				path = ""
			}
		}
	}
	p = append(p, path...)
	if len(p) == 0 {
		p = append(p, '/')
	}
	s.pathBuf = p

	u := s.uriBuf[:0]
	u = append(u, ep.Scheme...)
	u = append(u, "://"...)
	u = append(u, host...)
	u = append(u, p...)
	for i, q := range r.Query {
		if i == 0 {
			u = append(u, '?')
		} else {
			u = append(u, '&')
		}
		u = AppendURIEncode(u, q.Key, false)
		if q.Value != "" || svc != S3 {
			u = append(u, '=')
			u = AppendURIEncode(u, q.Value, false)
		}
	}
	s.uriBuf = u
	req.SetRequestURIBytes(u)
	req.URI().DisablePathNormalizing = true
	req.Header.SetMethod(method)

	now := time.Now().UTC()
	s.dateBuf = appendAmzDate(s.dateBuf[:0], now)
	hs := append(s.headers[:0], Header{strHost, host}, Header{strAmzDate, bytesToString(s.dateBuf)})
	if creds.SessionToken != "" {
		hs = append(hs, Header{strToken, creds.SessionToken})
	}
	if r.Target != "" {
		s.targetBuf = append(append(append(s.targetBuf[:0], svc.TargetPrefix...), '.'), r.Target...)
		hs = append(hs, Header{strTarget, bytesToString(s.targetBuf)})
	}
	if r.ContentType != "" {
		hs = append(hs, Header{strCType, r.ContentType})
	}
	payload := s.payload[:]
	if len(r.Body) == 0 {
		copy(payload, emptySHA256)
	} else {
		s.h.Reset()
		s.h.Write(r.Body)
		hex.Encode(payload, s.h.Sum(s.sum[:0]))
	}
	if svc == S3 {
		hs = append(hs, Header{strSHA256, bytesToString(payload)})
	}
	hs = append(hs, r.Headers...)
	s.headers = hs
	for _, h := range hs {
		if h.Name == strHost {
			continue
		}
		req.Header.Set(h.Name, h.Value)
	}
	if creds.AccessKeyID != "" { // anonymous credentials send unsigned requests
		s.authBuf = c.signers[svc.index].sign(s.authBuf[:0], s, method, bytesToString(p), r.Query, hs, payload, now, creds.AccessKeyID, creds.SecretAccessKey)
		req.Header.SetBytesV("Authorization", s.authBuf)
	}
	if len(r.Body) > 0 || method == methodPOST || method == "PUT" {
		req.SetBodyRaw(r.Body)
	}

	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = now.Add(c.maxDuration)
	}
	if err := c.hc.DoDeadline(req, resp, deadline); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		switch {
		case errors.Is(err, fasthttp.ErrTimeout) && !time.Now().Before(deadline):
			return context.DeadlineExceeded
		case errors.Is(err, fasthttp.ErrBodyTooLarge):
			return ErrResponseTooLarge
		}
		return &ClientError{Msg: "Unable to execute HTTP request: " + err.Error()}
	}
	return nil
}

// credsErrText is the reason credentials could not be loaded, without
// anything the chain read.
func credsErrText(err error) string {
	msg := err.Error()
	if len(msg) > 300 {
		msg = msg[:300] + "…"
	}
	return msg
}

// dnsBucket reports whether a bucket name can be a virtual host label, as
// the SDKs decide between virtual-hosted and path-style addressing.
func dnsBucket(b string) bool {
	if len(b) < 3 || len(b) > 63 || b[0] == '-' || b[len(b)-1] == '-' {
		return false
	}
	for i := 0; i < len(b); i++ {
		c := b[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// bytesToString views b as a string; b must not change while it is used.
func bytesToString(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }
