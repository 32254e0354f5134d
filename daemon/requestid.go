package daemon

import (
	"encoding/binary"
	"math/rand/v2"

	"github.com/valyala/fasthttp"
)

// headerRequestID is the header of every AWS API answer that names the
// request, as AWS's do: the SDKs surface it ($metadata.requestId,
// ResponseMetadata.RequestId), and stepd logs it with the errors it logs.
const headerRequestID = "x-amzn-RequestId"

// setRequestID gives the answer of ctx a new request id.
func setRequestID(ctx *fasthttp.RequestCtx) {
	var buf [36]byte
	ctx.Response.Header.SetBytesV(headerRequestID, appendRequestID(buf[:0]))
}

// appendRequestID appends a new request id to dst: a random (version 4)
// UUID, the shape of AWS's. Safe for concurrent use; it allocates nothing
// when dst has room.
func appendRequestID(dst []byte) []byte {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], rand.Uint64())
	binary.BigEndian.PutUint64(b[8:], rand.Uint64())
	b[6] = b[6]&0x0f | 0x40 // version 4
	b[8] = b[8]&0x3f | 0x80 // RFC 4122 variant
	for i, c := range b {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			dst = append(dst, '-')
		}
		dst = append(dst, hexDigits[c>>4], hexDigits[c&0xf])
	}
	return dst
}

const hexDigits = "0123456789abcdef"
