package integrations

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/stepd/stepd/daemon/teststate"
	"github.com/stepd/stepd/fastpath"
	"github.com/stepd/stepd/fastpath/jsonb"
)

// httpInvoker runs HTTP Tasks (arn:aws:states:::http:invoke): it calls the
// ApiEndpoint with the Method, Headers, QueryParameters and RequestBody the
// Parameters give, adds the credentials of the Authentication.ConnectionArn
// from the config, and returns {Headers, ResponseBody, StatusCode,
// StatusText} as AWS does; a status outside 2xx fails the task with
// States.Http.StatusCode.<code>. Only hosts in the allowlist are called, and
// link-local (cloud metadata) addresses only when listed by name. It is
// safe for concurrent use.
type httpInvoker struct {
	cfg    HTTPConfig
	allow  []allowHost // cfg.AllowHosts, parsed
	client *http.Client

	mu     sync.Mutex
	tokens map[string]oauthToken // by connection ARN
}

type oauthToken struct {
	value   string
	expires time.Time
}

// httpMaxResponse bounds a response body read into memory; AWS fails
// larger results anyway (256 KiB).
const httpMaxResponse = 1 << 20

// httpTaskTimeout is AWS's own limit on one HTTP Task request.
const httpTaskTimeout = 60 * time.Second

func newHTTPInvoker(cfg HTTPConfig) *httpInvoker {
	h := &httpInvoker{cfg: cfg, allow: parseAllowHosts(cfg.AllowHosts), tokens: map[string]oauthToken{}}
	maxConns := cfg.MaxConns
	if maxConns <= 0 {
		maxConns = 512
	}
	dialer := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	tr := &http.Transport{
		Proxy:               nil, // a proxy would hide the address the allowlist checks
		MaxConnsPerHost:     maxConns,
		MaxIdleConnsPerHost: 64,
		IdleConnTimeout:     90 * time.Second,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			host, port, err := net.SplitHostPort(addr)
			if err != nil {
				return nil, err
			}
			ips, err := net.DefaultResolver.LookupIPAddr(ctx, host)
			if err != nil {
				return nil, err
			}
			named := h.listedByName(host, port)
			for _, ip := range ips {
				if !named && forbiddenIP(ip.IP) {
					return nil, fmt.Errorf("%w: %s resolves to %s, a link-local or metadata address that only an allow-hosts entry naming it exactly permits", errRefusedHost, host, ip.IP)
				}
			}
			return dialer.DialContext(ctx, network, net.JoinHostPort(ips[0].IP.String(), port))
		},
	}
	h.client = &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return h
}

var errRefusedHost = errors.New("refused")

// forbiddenIP reports the addresses a definition must not reach unless
// the operator names them: link-local ones, which include the cloud
// metadata services (169.254.169.254, fd00:ec2::254).
// ec2MetadataV6 is the IPv6 address of the EC2 instance metadata service.
var ec2MetadataV6 = net.ParseIP("fd00:ec2::254")

func forbiddenIP(ip net.IP) bool {
	return ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() || ip.Equal(ec2MetadataV6)
}

// allowHost is one allow-hosts entry, lower-cased and split once: host
// ("*.suffix" for a wildcard) and port ("" for any).
type allowHost struct{ host, port string }

func parseAllowHosts(entries []string) []allowHost {
	out := make([]allowHost, len(entries))
	for i, a := range entries {
		a = strings.ToLower(a)
		h, p, err := net.SplitHostPort(a)
		if err != nil {
			h, p = strings.Trim(a, "[]"), ""
		}
		out[i] = allowHost{h, p}
	}
	return out
}

// allowed reports whether host:port matches an allow-hosts entry: "host",
// "host:port" or "*.suffix".
func (h *httpInvoker) allowed(host, port string) bool { return h.matchAllow(host, port, true) }

// listedByName reports whether an allow-hosts entry names host exactly (no
// wildcard): only then may it resolve to a link-local address.
func (h *httpInvoker) listedByName(host, port string) bool { return h.matchAllow(host, port, false) }

func (h *httpInvoker) matchAllow(host, port string, wildcards bool) bool {
	host = strings.ToLower(host)
	for _, a := range h.allow {
		if a.port != "" && a.port != port {
			continue
		}
		if a.host == host || wildcards && strings.HasPrefix(a.host, "*.") && strings.HasSuffix(host, a.host[1:]) {
			return true
		}
	}
	return false
}

// httpParams are an HTTP Task's Parameters.
type httpParams struct {
	ApiEndpoint     string                     `json:"ApiEndpoint"`
	Method          string                     `json:"Method"`
	Headers         map[string]json.RawMessage `json:"Headers"`
	QueryParameters map[string]json.RawMessage `json:"QueryParameters"`
	RequestBody     json.RawMessage            `json:"RequestBody"`
	Authentication  *struct {
		ConnectionArn string `json:"ConnectionArn"`
	} `json:"Authentication"`
	Transform *struct {
		RequestBodyEncoding    string `json:"RequestBodyEncoding"`
		RequestEncodingOptions *struct {
			ArrayFormat string `json:"ArrayFormat"`
		} `json:"RequestEncodingOptions"`
	} `json:"Transform"`
}

func runtimeErr(format string, args ...any) *fastpath.Failure {
	return &fastpath.Failure{Name: fastpath.ErrRuntime, Cause: fmt.Sprintf(format, args...)}
}

func (h *httpInvoker) invoke(ctx context.Context, task *fastpath.Task, input, dst []byte) ([]byte, []byte, error) {
	var p httpParams
	if err := json.Unmarshal(input, &p); err != nil {
		return nil, dst, runtimeErr("The Parameters of an HTTP Task must be an object: %v", err)
	}
	method := strings.ToUpper(p.Method)
	switch method {
	case "GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD":
	default:
		return nil, dst, runtimeErr("The HTTP Task's Method must be one of GET, POST, PUT, DELETE, PATCH, OPTIONS, HEAD, not %q", p.Method)
	}
	u, err := url.Parse(p.ApiEndpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, dst, runtimeErr("The HTTP Task's ApiEndpoint must be an http:// or https:// URL, not %q", p.ApiEndpoint)
	}
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	if !h.allowed(u.Hostname(), port) {
		return nil, dst, &fastpath.Failure{Name: fastpath.ErrPermissions, Cause: "stepd refuses to call " + u.Host + ": the host is not in integrations.http.allow-hosts"}
	}
	var conn *Connection
	connArn := ""
	if p.Authentication != nil && p.Authentication.ConnectionArn != "" {
		connArn = p.Authentication.ConnectionArn
		c, ok := h.cfg.Connections[connArn]
		if !ok {
			return nil, dst, &fastpath.Failure{Name: fastpath.ErrRuntime, Cause: "The connection " + connArn + " is not in stepd's config (integrations.http.connections)"}
		}
		conn = &c
	}

	q := u.Query()
	for k, v := range p.QueryParameters {
		q[k] = append(q[k], jsonText(v))
	}
	var body []byte
	contentType := ""
	hasBody := len(p.RequestBody) > 0 && string(p.RequestBody) != "null"
	urlEncoded := p.Transform != nil && p.Transform.RequestBodyEncoding == "URL_ENCODED"
	arrayFormat := "BRACKETS"
	if p.Transform != nil && p.Transform.RequestEncodingOptions != nil && p.Transform.RequestEncodingOptions.ArrayFormat != "" {
		arrayFormat = p.Transform.RequestEncodingOptions.ArrayFormat
	}
	if conn != nil {
		for _, kv := range conn.AuthParameters.InvocationHttpParameters.QueryStringParameters {
			q.Set(kv.Key, kv.Value)
		}
	}
	if hasBody || (conn != nil && len(conn.AuthParameters.InvocationHttpParameters.BodyParameters) > 0) {
		if urlEncoded {
			var obj map[string]json.RawMessage
			if hasBody {
				if err := json.Unmarshal(p.RequestBody, &obj); err != nil {
					return nil, dst, runtimeErr("URL_ENCODED needs a RequestBody object: %v", err)
				}
			}
			vals := url.Values{}
			keys := make([]string, 0, len(obj))
			for k := range obj {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			var b strings.Builder
			add := func(k, v string) {
				if b.Len() > 0 {
					b.WriteByte('&')
				}
				b.WriteString(url.QueryEscape(k))
				b.WriteByte('=')
				b.WriteString(url.QueryEscape(v))
			}
			for _, k := range keys {
				var arr []json.RawMessage
				if json.Unmarshal(obj[k], &arr) != nil {
					add(k, jsonText(obj[k]))
					continue
				}
				switch arrayFormat {
				case "COMMAS":
					parts := make([]string, len(arr))
					for i, v := range arr {
						parts[i] = jsonText(v)
					}
					add(k, strings.Join(parts, ","))
				case "REPEAT":
					for _, v := range arr {
						add(k, jsonText(v))
					}
				case "INDICES":
					for i, v := range arr {
						add(k+"["+strconv.Itoa(i)+"]", jsonText(v))
					}
				default: // BRACKETS
					for _, v := range arr {
						add(k+"[]", jsonText(v))
					}
				}
			}
			if conn != nil {
				for _, kv := range conn.AuthParameters.InvocationHttpParameters.BodyParameters {
					vals.Set(kv.Key, kv.Value)
				}
				if e := vals.Encode(); e != "" {
					if b.Len() > 0 {
						b.WriteByte('&')
					}
					b.WriteString(e)
				}
			}
			body, contentType = []byte(b.String()), "application/x-www-form-urlencoded"
		} else {
			body = p.RequestBody
			if conn != nil && len(conn.AuthParameters.InvocationHttpParameters.BodyParameters) > 0 {
				var obj map[string]json.RawMessage
				if !hasBody || json.Unmarshal(p.RequestBody, &obj) == nil {
					if obj == nil {
						obj = map[string]json.RawMessage{}
					}
					for _, kv := range conn.AuthParameters.InvocationHttpParameters.BodyParameters {
						v, _ := json.Marshal(kv.Value)
						obj[kv.Key] = v
					}
					body, _ = json.Marshal(obj)
				}
			}
			contentType = "application/json; charset=UTF-8"
		}
	}
	u.RawQuery = q.Encode()

	ctx, cancel := context.WithTimeout(ctx, httpTaskTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, u.String(), bytes.NewReader(body))
	if err != nil {
		return nil, dst, runtimeErr("Cannot build the HTTP request: %v", err)
	}
	if body == nil {
		req.Body, req.ContentLength = http.NoBody, 0
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for k, v := range p.Headers {
		req.Header.Set(k, jsonText(v))
	}
	if conn != nil {
		for _, kv := range conn.AuthParameters.InvocationHttpParameters.HeaderParameters {
			req.Header.Set(kv.Key, kv.Value)
		}
		if f := h.authorize(ctx, req, connArn, conn); f != nil {
			return nil, dst, f
		}
	}
	resp, err := h.client.Do(req)
	if err != nil {
		if errors.Is(err, errRefusedHost) {
			return nil, dst, &fastpath.Failure{Name: fastpath.ErrPermissions, Cause: "stepd refuses to call " + u.Host + ": " + err.Error()}
		}
		if errors.Is(err, context.DeadlineExceeded) {
			return nil, dst, context.DeadlineExceeded // the VM reports States.Timeout
		}
		return nil, dst, &fastpath.Failure{Name: "States.Http.Socket", Cause: err.Error()}
	}
	defer resp.Body.Close()
	respBody, err := io.ReadAll(io.LimitReader(resp.Body, httpMaxResponse+1))
	if err != nil {
		if ctx.Err() != nil {
			return nil, dst, context.DeadlineExceeded
		}
		return nil, dst, &fastpath.Failure{Name: "States.Http.Socket", Cause: err.Error()}
	}
	if tr := teststate.HTTPTraceFrom(ctx); tr != nil {
		tr.Record(req, body, resp, respBody)
	}
	if len(respBody) > fastpath.MaxPayloadBytes {
		return nil, dst, &fastpath.Failure{Name: fastpath.ErrDataLimitExceeded, Cause: "The state/task 'http' returned a result with a size exceeding the maximum number of bytes service limit."}
	}
	mark := len(dst)
	out := appendHTTPResult(dst, resp, respBody)
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		cause := string(out[mark:])
		return nil, dst[:mark], &fastpath.Failure{Name: "States.Http.StatusCode." + strconv.Itoa(resp.StatusCode), Cause: cause}
	}
	return out[mark:], out, nil
}

// appendHTTPResult appends {Headers, ResponseBody, StatusCode, StatusText}:
// header values as arrays, the body as JSON when it is JSON and as a string
// otherwise.
func appendHTTPResult(dst []byte, resp *http.Response, body []byte) []byte {
	dst = append(dst, `{"Headers":{`...)
	names := make([]string, 0, len(resp.Header))
	for k := range resp.Header {
		names = append(names, k)
	}
	sort.Strings(names)
	for i, k := range names {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = jsonb.AppendQuotedString(dst, strings.ToLower(k))
		dst = append(dst, ":["...)
		for j, v := range resp.Header[k] {
			if j > 0 {
				dst = append(dst, ',')
			}
			dst = jsonb.AppendQuotedString(dst, v)
		}
		dst = append(dst, ']')
	}
	dst = append(dst, `},"ResponseBody":`...)
	dst, _ = appendPayload(dst, body)
	dst = append(dst, `,"StatusCode":`...)
	dst = jsonb.AppendQuotedString(dst, strconv.Itoa(resp.StatusCode))
	dst = append(dst, `,"StatusText":`...)
	dst = jsonb.AppendQuotedString(dst, http.StatusText(resp.StatusCode))
	return append(dst, '}')
}

// jsonText is a parameter value as it goes into a header, query or form:
// a string's text, anything else as its JSON.
func jsonText(v json.RawMessage) string {
	var s string
	if json.Unmarshal(v, &s) == nil {
		return s
	}
	return string(v)
}

// authorize adds a connection's credentials to req: an API key header,
// basic credentials, or a bearer token from the OAuth client-credentials
// grant, cached until shortly before it expires.
func (h *httpInvoker) authorize(ctx context.Context, req *http.Request, arn string, c *Connection) *fastpath.Failure {
	p := &c.AuthParameters
	switch c.AuthorizationType {
	case "API_KEY":
		req.Header.Set(p.ApiKeyAuthParameters.ApiKeyName, p.ApiKeyAuthParameters.ApiKeyValue)
	case "BASIC":
		req.SetBasicAuth(p.BasicAuthParameters.Username, p.BasicAuthParameters.Password)
	case "OAUTH_CLIENT_CREDENTIALS":
		tok, err := h.oauthToken(ctx, arn, c)
		if err != nil {
			return &fastpath.Failure{Name: "States.Http.Socket", Cause: "cannot get an OAuth token for " + arn + ": " + err.Error()}
		}
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	return nil
}

func (h *httpInvoker) oauthToken(ctx context.Context, arn string, c *Connection) (string, error) {
	h.mu.Lock()
	t, ok := h.tokens[arn]
	h.mu.Unlock()
	if ok && time.Now().Before(t.expires) {
		return t.value, nil
	}
	o := c.AuthParameters.OAuthParameters
	form := url.Values{"grant_type": {"client_credentials"}}
	for _, kv := range o.OAuthHttpParameters.BodyParameters {
		form.Set(kv.Key, kv.Value)
	}
	method := strings.ToUpper(o.HttpMethod)
	if method == "" {
		method = "POST"
	}
	tu, err := url.Parse(o.AuthorizationEndpoint)
	if err != nil {
		return "", err
	}
	tq := tu.Query()
	for _, kv := range o.OAuthHttpParameters.QueryStringParameters {
		tq.Set(kv.Key, kv.Value)
	}
	var body io.Reader = http.NoBody
	if method == "GET" {
		for k, v := range form {
			tq[k] = v
		}
	} else {
		body = strings.NewReader(form.Encode())
	}
	tu.RawQuery = tq.Encode()
	req, err := http.NewRequestWithContext(ctx, method, tu.String(), body)
	if err != nil {
		return "", err
	}
	if method != "GET" {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.SetBasicAuth(o.ClientParameters.ClientID, o.ClientParameters.ClientSecret)
	for _, kv := range o.OAuthHttpParameters.HeaderParameters {
		req.Header.Set(kv.Key, kv.Value)
	}
	port := tu.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[tu.Scheme]
	}
	if !h.allowed(tu.Hostname(), port) {
		return "", fmt.Errorf("the token endpoint %s is not in integrations.http.allow-hosts", tu.Host)
	}
	resp, err := h.client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var tr struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int64  `json:"expires_in"`
	}
	if resp.StatusCode != 200 {
		return "", fmt.Errorf("the token endpoint answered %s", resp.Status)
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&tr); err != nil || tr.AccessToken == "" {
		return "", fmt.Errorf("the token endpoint gave no access_token")
	}
	life := time.Duration(tr.ExpiresIn) * time.Second
	if life <= 0 {
		life = time.Hour
	}
	h.mu.Lock()
	h.tokens[arn] = oauthToken{value: tr.AccessToken, expires: time.Now().Add(life - life/10)}
	h.mu.Unlock()
	return tr.AccessToken, nil
}
