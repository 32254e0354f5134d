package daemon

import (
	"strconv"
	"time"
)

// AWS's JSON timestamps, in one place.

// appendEpoch appends a time as AWS's JSON timestamps: seconds since the
// epoch with three decimals.
func appendEpoch(dst []byte, t time.Time) []byte {
	ms := t.UnixMilli()
	dst = strconv.AppendInt(dst, ms/1000, 10)
	frac := ms % 1000
	return append(dst, '.', byte('0'+frac/100), byte('0'+frac/10%10), byte('0'+frac%10))
}

// epochTime marshals as AWS's JSON timestamps (seconds since the epoch).
type epochTime time.Time

func (t epochTime) MarshalJSON() ([]byte, error) { return appendEpoch(nil, time.Time(t)), nil }
