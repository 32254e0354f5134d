package fastpath

import "encoding/hex"

// AppendUUID appends a random version 4 UUID (36 characters, no quotes) to
// dst. Execution names, $uuid() and States.UUID() need ids that are unique,
// not secret, so it draws from the fast non-cryptographic generator and
// allocates nothing.
func AppendUUID(dst []byte) []byte { return appendUUIDFrom(dst, randUint64(), randUint64()) }

// appendUUIDFrom appends the version 4 UUID made of the random numbers a
// and b.
func appendUUIDFrom(dst []byte, a, b uint64) []byte {
	var u [16]byte
	for i := range 8 {
		u[i] = byte(a >> (8 * i))
		u[8+i] = byte(b >> (8 * i))
	}
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	dst = hex.AppendEncode(dst, u[0:4])
	dst = append(dst, '-')
	dst = hex.AppendEncode(dst, u[4:6])
	dst = append(dst, '-')
	dst = hex.AppendEncode(dst, u[6:8])
	dst = append(dst, '-')
	dst = hex.AppendEncode(dst, u[8:10])
	dst = append(dst, '-')
	return hex.AppendEncode(dst, u[10:16])
}
