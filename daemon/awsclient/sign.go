package awsclient

import (
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Header is one request header of a call; Name is lower case, as SigV4
// canonicalizes it.
type Header struct {
	Name, Value string
}

// QueryParam is one query-string parameter, unescaped.
type QueryParam struct {
	Key, Value string
}

// signingKey is the SigV4 key of one day, region, service and secret: the
// four HMACs that derive it are done once a day rather than per request.
type signingKey struct {
	day    string
	secret string
	ipad   [64]byte // key XOR 0x36, the HMAC inner block
	opad   [64]byte // key XOR 0x5c
}

// signer signs requests for one service in one region. It is safe for
// concurrent use.
type signer struct {
	region, service string
	key             atomic.Pointer[signingKey]
}

// scratch holds the buffers of one signature; pooled.
type scratch struct {
	h       hash.Hash
	canon   []byte
	sts     []byte
	sum     []byte
	payload [64]byte
	headers []Header
	// buffers of the request Do builds
	pathBuf, hostBuf, uriBuf, dateBuf, targetBuf, authBuf []byte
}

var scratchPool = sync.Pool{New: func() any { return &scratch{h: sha256.New(), sum: make([]byte, 0, 32)} }}

// hmacInto computes HMAC-SHA256(key, msg) with precomputed pads into
// s.sum, returning it (valid until the next use of s.sum).
func (s *scratch) hmac(ipad, opad *[64]byte, msg []byte) []byte {
	s.h.Reset()
	s.h.Write(ipad[:])
	s.h.Write(msg)
	inner := s.h.Sum(s.sum[:0])
	var tmp [32]byte
	copy(tmp[:], inner)
	s.h.Reset()
	s.h.Write(opad[:])
	s.h.Write(tmp[:])
	return s.h.Sum(s.sum[:0])
}

// hmacSimple is HMAC-SHA256 for key derivation (a few calls a day).
func hmacSimple(key, msg []byte) []byte {
	var ipad, opad [64]byte
	if len(key) > 64 {
		k := sha256.Sum256(key)
		key = k[:]
	}
	copy(ipad[:], key)
	copy(opad[:], key)
	for i := range ipad {
		ipad[i] ^= 0x36
		opad[i] ^= 0x5c
	}
	h := sha256.New()
	h.Write(ipad[:])
	h.Write(msg)
	inner := h.Sum(nil)
	h.Reset()
	h.Write(opad[:])
	h.Write(inner)
	return h.Sum(nil)
}

// keyFor returns the signing key for day and secret, deriving it when the
// day or the secret changed.
func (g *signer) keyFor(day, secret string) *signingKey {
	if k := g.key.Load(); k != nil && k.day == day && k.secret == secret {
		return k
	}
	k := hmacSimple([]byte("AWS4"+secret), []byte(day))
	k = hmacSimple(k, []byte(g.region))
	k = hmacSimple(k, []byte(g.service))
	k = hmacSimple(k, []byte("aws4_request"))
	sk := &signingKey{day: strings.Clone(day), secret: secret}
	copy(sk.ipad[:], k)
	copy(sk.opad[:], k)
	for i := range sk.ipad {
		sk.ipad[i] ^= 0x36
		sk.opad[i] ^= 0x5c
	}
	g.key.Store(sk)
	return sk
}

// appendAmzDate appends t as SigV4's ISO 8601 basic format, 20060102T150405Z.
func appendAmzDate(dst []byte, t time.Time) []byte {
	y, mo, d := t.Date()
	h, mi, s := t.Clock()
	dst = strconv.AppendInt(dst, int64(y), 10)
	for _, v := range [...]int{int(mo), d} {
		dst = append(dst, byte('0'+v/10), byte('0'+v%10))
	}
	dst = append(dst, 'T')
	for _, v := range [...]int{h, mi, s} {
		dst = append(dst, byte('0'+v/10), byte('0'+v%10))
	}
	return append(dst, 'Z')
}

// unreserved marks the bytes SigV4's URI encoding leaves as they are.
var unreserved = func() (t [256]bool) {
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
	}
	for c := 'A'; c <= 'Z'; c++ {
		t[c] = true
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	t['-'], t['_'], t['.'], t['~'] = true, true, true, true
	return t
}()

// AppendURIEncode appends s percent-encoded as SigV4 and the AWS REST
// protocols encode it: every byte but A-Z a-z 0-9 - _ . ~ is %XX, and '/'
// too unless keepSlash.
func AppendURIEncode(dst []byte, s string, keepSlash bool) []byte {
	const hexd = "0123456789ABCDEF"
	for i := 0; i < len(s); i++ {
		c := s[i]
		if unreserved[c] || (keepSlash && c == '/') {
			dst = append(dst, c)
			continue
		}
		dst = append(dst, '%', hexd[c>>4], hexd[c&15])
	}
	return dst
}

// sign computes the SigV4 Authorization header value of a request and
// appends it to dst. path is the escaped request path as sent; for
// services other than S3 it is escaped again in the canonical request,
// as SigV4 requires. headers must include host and x-amz-date; they are
// sorted here.
func (g *signer) sign(dst []byte, s *scratch, method, path string, query []QueryParam, headers []Header, payloadHash []byte, now time.Time, akid, secret string) []byte {
	var dayb [16]byte
	amz := appendAmzDate(dayb[:0], now)
	day := amz[:8]

	for i := 1; i < len(headers); i++ { // insertion sort: a handful, and no allocation
		for j := i; j > 0 && headers[j].Name < headers[j-1].Name; j-- {
			headers[j], headers[j-1] = headers[j-1], headers[j]
		}
	}
	c := s.canon[:0]
	c = append(c, method...)
	c = append(c, '\n')
	if g.service == "s3" {
		c = append(c, path...)
	} else {
		c = AppendURIEncode(c, path, true)
	}
	c = append(c, '\n')
	for i := 1; i < len(query); i++ {
		for j := i; j > 0 && (query[j].Key < query[j-1].Key || query[j].Key == query[j-1].Key && query[j].Value < query[j-1].Value); j-- {
			query[j], query[j-1] = query[j-1], query[j]
		}
	}
	for i, q := range query {
		if i > 0 {
			c = append(c, '&')
		}
		c = AppendURIEncode(c, q.Key, false)
		c = append(c, '=')
		c = AppendURIEncode(c, q.Value, false)
	}
	c = append(c, '\n')
	for _, h := range headers {
		c = append(c, h.Name...)
		c = append(c, ':')
		c = appendTrimmed(c, h.Value)
		c = append(c, '\n')
	}
	c = append(c, '\n')
	signed := len(c)
	for i, h := range headers {
		if i > 0 {
			c = append(c, ';')
		}
		c = append(c, h.Name...)
	}
	signedEnd := len(c)
	c = append(c, '\n')
	c = append(c, payloadHash...)
	s.canon = c

	s.h.Reset()
	s.h.Write(c)
	crHash := s.h.Sum(s.sum[:0])
	st := s.sts[:0]
	st = append(st, "AWS4-HMAC-SHA256\n"...)
	st = append(st, amz...)
	st = append(st, '\n')
	scopeStart := len(st)
	st = append(st, day...)
	st = append(st, '/')
	st = append(st, g.region...)
	st = append(st, '/')
	st = append(st, g.service...)
	st = append(st, "/aws4_request"...)
	scopeEnd := len(st)
	st = append(st, '\n')
	st = hex.AppendEncode(st, crHash)
	s.sts = st

	k := g.keyFor(bytesToString(day), secret)
	sig := s.hmac(&k.ipad, &k.opad, st)

	dst = append(dst, "AWS4-HMAC-SHA256 Credential="...)
	dst = append(dst, akid...)
	dst = append(dst, '/')
	dst = append(dst, st[scopeStart:scopeEnd]...)
	dst = append(dst, ", SignedHeaders="...)
	dst = append(dst, c[signed:signedEnd]...)
	dst = append(dst, ", Signature="...)
	return hex.AppendEncode(dst, sig)
}

// appendTrimmed appends v without leading and trailing spaces and with
// inner runs of spaces as one, as SigV4 canonical headers want.
func appendTrimmed(dst []byte, v string) []byte {
	i, j := 0, len(v)
	for i < j && v[i] == ' ' {
		i++
	}
	for j > i && v[j-1] == ' ' {
		j--
	}
	space := false
	for ; i < j; i++ {
		if v[i] == ' ' {
			space = true
			continue
		}
		if space {
			dst = append(dst, ' ')
			space = false
		}
		dst = append(dst, v[i])
	}
	return dst
}

// PayloadHash is the hex SHA-256 of body, as SigV4 and S3's
// x-amz-content-sha256 want it.
func PayloadHash(body []byte) string {
	h := sha256.Sum256(body)
	return hex.EncodeToString(h[:])
}
