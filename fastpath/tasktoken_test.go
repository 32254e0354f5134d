package fastpath

import (
	"encoding/binary"
	"strings"
	"testing"
	"time"
)

func TestTaskToken(t *testing.T) {
	arn := "arn:aws:states:us-east-1:123456789012:execution:m:e"
	for _, key := range []RecordKey{{"", 0}, {"3.1/", 7}, {strings.Repeat("12.345/", 140), 1 << 20}} {
		tok, err := newTaskToken(arn, key)
		if err != nil {
			t.Fatal(err)
		}
		if len(tok) > MaxTaskTokenLen {
			t.Errorf("key %v: token of %d characters", key, len(tok))
		}
		gotArn, gotKey, ok := ParseTaskToken(tok)
		if !ok || gotArn != arn || gotKey != key {
			t.Errorf("ParseTaskToken(%q) = %q %v %v, want %q %v", tok, gotArn, gotKey, ok, arn, key)
		}
		if again, _ := newTaskToken(arn, key); again == tok {
			t.Errorf("two tokens for %v are equal: %q", key, tok)
		}
		for _, bad := range []string{tok[:len(tok)-1], tok + "A", "st2." + tok[4:], strings.Replace(tok, "st1.", "st1.!", 1)} {
			if _, _, ok := ParseTaskToken(bad); ok {
				t.Errorf("ParseTaskToken(%q) accepted a damaged token", bad)
			}
		}
	}
	for _, bad := range []string{"", "st1.", "forged", "st1." + strings.Repeat("A", MaxTaskTokenLen)} {
		if _, _, ok := ParseTaskToken(bad); ok {
			t.Errorf("ParseTaskToken(%q) accepted it", bad)
		}
	}
}

func TestAwaitRoundTrip(t *testing.T) {
	since := time.Unix(1700000000, 123)
	for _, a := range []Await{
		{Token: "st1.x", Key: RecordKey{"1.0/", 4}, Callback: CallbackToken, Since: since},
		{Token: "st1.z", Key: RecordKey{"1.0/", 4}, Callback: CallbackToken, Since: since, State: "Approve", Input: []byte(`{"Payload":{"t":"st1.z"}}`)},
		{Token: "st1.y", Key: RecordKey{"", 9}, Callback: CallbackActivity, Since: since, Timeout: since.Add(time.Minute), Heartbeat: 10 * time.Second,
			Activity: "arn:aws:states:us-east-1:123456789012:activity:a", State: "Review", Input: []byte(`{"a":1}`)},
	} {
		got, ok := ParseAwait(AppendAwait(nil, &a))
		if !ok || got.Token != a.Token || got.Key != a.Key || got.Callback != a.Callback || !got.Since.Equal(a.Since) ||
			!got.Timeout.Equal(a.Timeout) || got.Heartbeat != a.Heartbeat || got.Activity != a.Activity || got.State != a.State || string(got.Input) != string(a.Input) {
			t.Errorf("round trip of %+v: %+v %v", a, got, ok)
		}
	}
}

// TestParseAwaitWithoutState: a wait recorded before the state's name was
// kept (no awaitHasState bit) still reads, without a name.
func TestParseAwaitWithoutState(t *testing.T) {
	a := Await{Token: "st1.y", Key: RecordKey{"", 9}, Callback: CallbackActivity, Since: time.Unix(5, 0), Activity: "arn:a", Input: []byte(`{}`)}
	var old []byte
	old = append(old, byte(a.Callback))
	for _, s := range []string{a.Token, a.Key.Scope, a.Activity} {
		old = binary.AppendUvarint(old, uint64(len(s)))
		old = append(old, s...)
	}
	old = binary.AppendUvarint(old, uint64(a.Key.Seq))
	old = binary.AppendVarint(old, a.Since.UnixNano())
	old = binary.AppendVarint(binary.AppendVarint(old, 0), 0)
	old = append(old, a.Input...)
	got, ok := ParseAwait(old)
	if !ok || got.Token != a.Token || got.Activity != a.Activity || got.State != "" || string(got.Input) != "{}" || got.Callback != CallbackActivity {
		t.Errorf("ParseAwait of an old value: %+v %v", got, ok)
	}
}

func TestAwaitDue(t *testing.T) {
	t0 := time.Unix(1000, 0)
	for _, tc := range []struct {
		a        Await
		beat     time.Time
		want     time.Time
		wantOK   bool
		scenario string
	}{
		{Await{Since: t0}, time.Time{}, time.Time{}, false, "no timeout, no heartbeat"},
		{Await{Since: t0, Timeout: t0.Add(60 * time.Second)}, time.Time{}, t0.Add(60 * time.Second), true, "timeout"},
		{Await{Since: t0, Heartbeat: 10 * time.Second}, time.Time{}, t0.Add(10 * time.Second), true, "heartbeat from the start"},
		{Await{Since: t0, Heartbeat: 10 * time.Second}, t0.Add(5 * time.Second), t0.Add(15 * time.Second), true, "heartbeat from the last beat"},
		{Await{Since: t0, Timeout: t0.Add(12 * time.Second), Heartbeat: 10 * time.Second}, t0.Add(5 * time.Second), t0.Add(12 * time.Second), true, "a heartbeat does not extend the timeout"},
	} {
		got, ok := tc.a.Due(tc.beat)
		if ok != tc.wantOK || !got.Equal(tc.want) {
			t.Errorf("%s: due %v %v, want %v %v", tc.scenario, got, ok, tc.want, tc.wantOK)
		}
	}
}

// FuzzParseTaskToken: a token comes from any client; parsing it never
// panics, and what parses has the form stepd mints.
func FuzzParseTaskToken(f *testing.F) {
	tok, _ := newTaskToken("arn:aws:states:us-east-1:123456789012:execution:m:e", RecordKey{"1.0/", 3})
	for _, s := range []string{tok, "", "st1.", "st1.AAAA", "forged"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if _, key, ok := ParseTaskToken(s); ok && (len(s) > MaxTaskTokenLen || key.Seq < 0) {
			t.Fatalf("ParseTaskToken(%q) accepted a token stepd cannot mint", s)
		}
	})
}

// FuzzParseAwait: a RecordAwait value read back from the log never panics
// the store.
func FuzzParseAwait(f *testing.F) {
	f.Add(AppendAwait(nil, &Await{Token: "st1.x", Callback: CallbackActivity, Since: time.Unix(1, 0), Activity: "a", Input: []byte("{}")}))
	f.Add([]byte{1, 200})
	f.Fuzz(func(t *testing.T, b []byte) { ParseAwait(b) })
}
