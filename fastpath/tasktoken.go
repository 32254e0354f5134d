package fastpath

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"strconv"
	"strings"
	"time"
)

// Callback says how a Task ends: with its call's result (CallbackNone),
// or with the answer to the task token it passes on — SendTaskSuccess,
// SendTaskFailure, or its timeout.
type Callback uint8

const (
	// CallbackNone is an ordinary Task.
	CallbackNone Callback = iota
	// CallbackToken is a `.waitForTaskToken` service integration: the
	// call passes $$.Task.Token on, then the Task waits for its answer.
	CallbackToken
	// CallbackActivity is an activity: a worker takes the task with
	// GetActivityTask and answers its token.
	CallbackActivity
	// CallbackSync and CallbackSync2 are `.sync` and `.sync:2` Tasks:
	// the call starts a child execution, whose end answers the token
	// (childexec.go) with its description, Input and Output as JSON text
	// (CallbackSync) or parsed (CallbackSync2).
	CallbackSync
	CallbackSync2
)

// CallbackOf is the Callback of a Task whose Resource is res.
func CallbackOf(res string) Callback {
	switch {
	case strings.HasSuffix(res, ".waitForTaskToken"):
		return CallbackToken
	case strings.HasSuffix(res, ".sync"):
		return CallbackSync
	case strings.HasSuffix(res, ".sync:2"):
		return CallbackSync2
	case strings.HasPrefix(res, "arn:") && strings.Contains(res, ":states:") && strings.Contains(res, ":activity:"):
		return CallbackActivity
	}
	return CallbackNone
}

// A task token is "st1." and the unpadded base64url encoding of: the
// execution's ARN and the key of the token's record (each a uvarint
// length and bytes; the sequence number a uvarint), then 16 bytes from
// crypto/rand. The ARN and key locate the execution and its wait on every
// node; the random part makes a token unguessable, and the durable store
// accepts only the exact token it recorded. AWS's limit is 2,048
// characters; an ARN of 256 and a scope of 1,000 characters stay below it.
const (
	tokenPrefix = "st1."
	// MaxTaskTokenLen is AWS's limit on a task token's length.
	MaxTaskTokenLen = 2048
	tokenSecret     = 16
)

// newTaskToken mints a token for the execution arn at key.
func newTaskToken(arn string, key RecordKey) (string, error) {
	raw := binary.AppendUvarint(nil, uint64(len(arn)))
	raw = append(raw, arn...)
	raw = binary.AppendUvarint(raw, uint64(len(key.Scope)))
	raw = append(raw, key.Scope...)
	raw = binary.AppendUvarint(raw, uint64(key.Seq))
	var secret [tokenSecret]byte
	if _, err := rand.Read(secret[:]); err != nil {
		return "", err
	}
	raw = append(raw, secret[:]...)
	return tokenPrefix + base64.RawURLEncoding.EncodeToString(raw), nil
}

// ParseTaskToken returns the execution ARN and record key a token names,
// or ok false when tok is not a token stepd minted (malformed, too long).
// It checks the form only: whether the token is the one recorded is the
// durable store's decision.
func ParseTaskToken(tok string) (arn string, key RecordKey, ok bool) {
	body, found := strings.CutPrefix(tok, tokenPrefix)
	if !found || len(tok) > MaxTaskTokenLen {
		return "", RecordKey{}, false
	}
	raw, err := base64.RawURLEncoding.DecodeString(body)
	if err != nil {
		return "", RecordKey{}, false
	}
	field := func() (string, bool) {
		n, w := binary.Uvarint(raw)
		if w <= 0 || n > uint64(len(raw)-w) {
			return "", false
		}
		s := string(raw[w : w+int(n)])
		raw = raw[w+int(n):]
		return s, true
	}
	if arn, ok = field(); !ok {
		return "", RecordKey{}, false
	}
	if key.Scope, ok = field(); !ok {
		return "", RecordKey{}, false
	}
	seq, w := binary.Uvarint(raw)
	if w <= 0 || seq > 1<<31 || len(raw)-w != tokenSecret {
		return "", RecordKey{}, false
	}
	key.Seq = int(seq)
	return arn, key, true
}

// AnswerKey is where the answer to the token recorded at key is kept: a
// scope of its own under the Task's scope, which no state uses, so the
// store can add the answer without knowing how far the run has come. For
// an activity, the worker's claim (RecordClaim) is at Seq 0 and the
// answer at Seq 1; for a `.waitForTaskToken` Task the answer is at Seq 0.
func AnswerKey(key RecordKey, c Callback) RecordKey {
	k := RecordKey{Scope: key.Scope + "cb" + strconv.Itoa(key.Seq) + "/"}
	if c == CallbackActivity {
		k.Seq = 1
	}
	return k
}

// Await is a callback Task waiting for its answer, as its RecordAwait
// value holds it: what the store needs to hand an activity task to a
// worker and to time the wait out.
type Await struct {
	Token string
	// Key is where the token was recorded; Callback what kind of Task
	// waits.
	Key      RecordKey
	Callback Callback
	// Since is when the wait began; Timeout when it times out (zero:
	// never, but for the execution's own deadline); Heartbeat the
	// longest silence between heartbeats (0: none).
	Since, Timeout time.Time
	Heartbeat      time.Duration
	// Activity is the activity's ARN, for an activity ("" otherwise).
	Activity string
	// State is the name of the Task state that waits ("" in waits
	// recorded before it was kept).
	State string
	// Input is what the Task handed on with its token: the activity
	// task's input, or the parameters of a `.waitForTaskToken` call (nil
	// in waits of such calls recorded before it was kept).
	Input []byte
}

// awaitHasState marks, in the Callback byte of a RecordAwait value, that
// the state's name follows the activity's ARN; values written before the
// name was kept lack both.
const awaitHasState = 0x80

// AppendAwait appends a's RecordAwait value to dst.
func AppendAwait(dst []byte, a *Await) []byte {
	dst = append(dst, byte(a.Callback)|awaitHasState)
	for _, s := range [...]string{a.Token, a.Key.Scope, a.Activity, a.State} {
		dst = binary.AppendUvarint(dst, uint64(len(s)))
		dst = append(dst, s...)
	}
	dst = binary.AppendUvarint(dst, uint64(a.Key.Seq))
	var timeout int64
	if !a.Timeout.IsZero() {
		timeout = a.Timeout.UnixNano()
	}
	dst = binary.AppendVarint(dst, a.Since.UnixNano())
	dst = binary.AppendVarint(dst, timeout)
	dst = binary.AppendVarint(dst, int64(a.Heartbeat))
	return append(dst, a.Input...)
}

// ParseAwait decodes a RecordAwait value; ok is false when it is not one.
func ParseAwait(val []byte) (a Await, ok bool) {
	if len(val) == 0 {
		return a, false
	}
	var all [4]string
	strs := all[:3]
	if val[0]&awaitHasState != 0 {
		strs = strs[:4]
	}
	a.Callback, val = Callback(val[0]&^awaitHasState), val[1:]
	for i := range strs {
		n, w := binary.Uvarint(val)
		if w <= 0 || n > uint64(len(val)-w) {
			return a, false
		}
		strs[i], val = string(val[w:w+int(n)]), val[w+int(n):]
	}
	a.Token, a.Key.Scope, a.Activity = strs[0], strs[1], strs[2]
	if len(strs) == 4 {
		a.State = strs[3]
	}
	seq, w := binary.Uvarint(val)
	if w <= 0 || seq > 1<<31 {
		return a, false
	}
	a.Key.Seq, val = int(seq), val[w:]
	var nums [3]int64
	for i := range nums {
		v, w := binary.Varint(val)
		if w <= 0 {
			return a, false
		}
		nums[i], val = v, val[w:]
	}
	a.Since = time.Unix(0, nums[0])
	if nums[1] != 0 {
		a.Timeout = time.Unix(0, nums[1])
	}
	a.Heartbeat = time.Duration(nums[2])
	if len(val) > 0 {
		a.Input = val
	}
	return a, true
}

// Due is when the wait times out given the last heartbeat (zero: none
// came), and whether it ever does.
func (a *Await) Due(lastBeat time.Time) (time.Time, bool) {
	due, ok := a.Timeout, !a.Timeout.IsZero()
	if a.Heartbeat > 0 {
		from := a.Since
		if lastBeat.After(from) {
			from = lastBeat
		}
		if hb := from.Add(a.Heartbeat); !ok || hb.Before(due) {
			due, ok = hb, true
		}
	}
	return due, ok
}

// AppendTaskSuccess appends the RecordTask value of a Task answered with
// output (compact JSON).
func AppendTaskSuccess(dst, output []byte) []byte { return appendTaskOutcome(dst, output, nil) }

// AppendTaskFailure appends the RecordTask value of a Task that failed
// with the error name and cause; hasError and hasCause false record a
// failure without them, as SendTaskFailure without error or cause does.
func AppendTaskFailure(dst []byte, name, cause string, hasError, hasCause bool) []byte {
	return appendTaskOutcome(dst, nil, &Failure{Name: name, Cause: cause, noName: !hasError, noCause: !hasCause})
}
