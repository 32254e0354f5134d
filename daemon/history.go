package daemon

import (
	"errors"
	"path/filepath"
	"sort"
	"strconv"
	"time"

	json "github.com/goccy/go-json"

	"github.com/stepd/stepd/daemon/history"
	"github.com/stepd/stepd/fastpath"

	"github.com/stepd/stepd/internal/awserr"
)

// loggingConfiguration is the request member of Create/UpdateStateMachine.
type loggingConfiguration struct {
	Level                *string           `json:"level"`
	IncludeExecutionData *bool             `json:"includeExecutionData"`
	Destinations         []json.RawMessage `json:"destinations"`
}

// checkLogging validates a loggingConfiguration as AWS does: the level
// enum, and exactly one destination unless the level is OFF.
func checkLogging(raw json.RawMessage) *awserr.Error {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	var c loggingConfiguration
	if err := json.Unmarshal(raw, &c); err != nil {
		return awserr.New("SerializationException", "Cannot parse the request body: loggingConfiguration: %v", err)
	}
	level := history.LevelOff
	if c.Level != nil {
		var ok bool
		if level, ok = history.ParseLevel(*c.Level); !ok {
			return awserr.New("ValidationException", "1 validation error detected: Value '%s' at 'loggingConfiguration.level' failed to satisfy constraint: Member must satisfy enum value set: [ALL, ERROR, FATAL, OFF]", *c.Level)
		}
	}
	if len(c.Destinations) > 1 {
		return awserr.New("ValidationException", "1 validation error detected: Value at 'loggingConfiguration.destinations' failed to satisfy constraint: Member must have length less than or equal to 1")
	}
	if level != history.LevelOff && len(c.Destinations) == 0 {
		return awserr.New("InvalidLoggingConfiguration", "Invalid Logging Configuration: Must specify exactly one Log Destination when log level is not OFF.")
	}
	return nil
}

// parsedLogging reads a loggingConfiguration that checkLogging accepted
// (OFF when absent).
func parsedLogging(raw json.RawMessage) history.Logging {
	var c loggingConfiguration
	if len(raw) == 0 || json.Unmarshal(raw, &c) != nil || c.Level == nil {
		return history.Logging{}
	}
	level, _ := history.ParseLevel(*c.Level)
	return history.Logging{Level: level, IncludeData: c.IncludeExecutionData != nil && *c.IncludeExecutionData}
}

// openHistory opens the node's execution history under the data
// directory.
func openHistory(cfg Config, s *server) error {
	hc := cfg.historyConfig(filepath.Join(cfg.DataDir, "history"))
	hc.Logger = s.log
	l, err := history.Open(hc)
	if err != nil {
		return err
	}
	s.hist, s.execs.hist = l, l
	return nil
}

// beginHistory prepares the history of one execution of m: it returns
// nil when m's logging is OFF (and opts stays without a sink), or a
// Recorder set as opts' event sink.
func beginHistory(l *history.Log, m *machine, opts *fastpath.Options, start time.Time) *history.Recorder {
	if l == nil || !m.logging.Enabled() {
		return nil
	}
	rec := history.AcquireRecorder(m.logging, start)
	if c := opts.Clock; c != nil { // events at the execution's time, virtual time included
		rec.SetClock(func() int64 { return c.Now().UnixMilli() })
	}
	opts.Events, opts.EventMask = rec, rec.Mask()
	return rec
}

// endHistory stages the execution's record before its response is sent,
// and releases the Recorder. res is nil when the execution did not run.
func endHistory(l *history.Log, rec *history.Recorder, opts *fastpath.Options, start, stop time.Time, res *fastpath.Result) {
	if rec == nil {
		return
	}
	if res == nil { // the input was refused: nothing ran
		opts.Events = nil
		history.ReleaseRecorder(rec)
		return
	}
	sum := history.Summary{ExecutionArn: opts.ExecutionArn, StateMachineArn: opts.StateMachineArn, Name: opts.ExecutionName,
		RoleArn: opts.RoleArn, Status: res.Status, Start: start, Stop: stop,
		Error: res.Error, Cause: res.Cause, HasError: res.HasError, HasCause: res.HasCause}
	rec.Finish(l, &sum)
	opts.Events = nil
	history.ReleaseRecorder(rec)
}

// maxHistoryPage is GetExecutionHistory's largest maxResults.
const maxHistoryPage = 1000

// getExecutionHistory answers GetExecutionHistory from the history log.
// AWS refuses it for Express executions; stepd serves it for executions
// of machines whose loggingConfiguration level is not OFF, with the
// events that level keeps. An execution without history is
// ExecutionDoesNotExist.
func (s *server) getExecutionHistory(body, dst []byte) ([]byte, *awserr.Error) {
	var req struct {
		Arn         string `json:"executionArn"`
		MaxResults  int    `json:"maxResults"`
		NextToken   string `json:"nextToken"`
		Reverse     bool   `json:"reverseOrder"`
		IncludeData *bool  `json:"includeExecutionData"`
	}
	if err := decode(body, &req); err != nil {
		return dst, err
	}
	if err := required("executionArn", req.Arn); err != nil {
		return dst, err
	}
	if req.MaxResults < 0 || req.MaxResults > maxHistoryPage {
		return dst, awserr.New("ValidationException", "1 validation error detected: Value '%d' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 1000", req.MaxResults)
	}
	if req.MaxResults == 0 {
		req.MaxResults = 100
	}
	rec, aerr := s.historyRecord(req.Arn)
	if aerr != nil {
		return dst, aerr
	}
	from := 0
	if req.NextToken != "" {
		n, err := strconv.Atoi(req.NextToken)
		if err != nil || n <= 0 || n >= len(rec.Events) {
			return dst, awserr.InvalidToken(req.NextToken)
		}
		from = n
	}
	include := req.IncludeData == nil || *req.IncludeData
	dst = append(dst, `{"events":[`...)
	to := min(from+req.MaxResults, len(rec.Events))
	for k := from; k < to; k++ {
		i := k
		if req.Reverse {
			i = len(rec.Events) - 1 - k
		}
		if k > from {
			dst = append(dst, ',')
		}
		dst = history.AppendAPIEvent(dst, rec, i, include)
	}
	dst = append(dst, ']')
	if to < len(rec.Events) {
		dst = append(dst, `,"nextToken":"`...)
		dst = strconv.AppendInt(dst, int64(to), 10)
		dst = append(dst, '"')
	}
	return append(dst, '}'), nil
}

// historyRecord reads the history of an execution: a STANDARD one's from
// its durable state, any other from the log.
func (s *server) historyRecord(arn string) (*history.Record, *awserr.Error) {
	if h, ok, aerr := s.durableHistory(arn); ok {
		return h, aerr
	}
	if s.hist == nil {
		return nil, awserr.ExecutionDoesNotExist(arn)
	}
	rec, err := s.hist.Execution(arn)
	if errors.Is(err, history.ErrNotFound) {
		return nil, awserr.ExecutionDoesNotExist(arn)
	}
	if err != nil {
		return nil, awserr.New("InternalFailure", "cannot read the history of %s: %v", arn, err)
	}
	return rec, nil
}

// executionFromHistory describes an execution that is not among the
// recent background executions from its history record: its input and
// output are there when the level and includeExecutionData kept them.
func (s *server) executionFromHistory(arn string) (execution, *awserr.Error) {
	rec, aerr := s.historyRecord(arn)
	if aerr != nil {
		return execution{}, aerr
	}
	e := executionOf(&rec.Summary)
	for i := range rec.Events {
		ev := &rec.Events[i]
		switch {
		case ev.Type == fastpath.EventExecutionStarted && ev.HasPayload:
			e.Input = string(ev.Payload)
		case ev.Type == fastpath.EventExecutionSucceeded && ev.HasPayload:
			out := string(ev.Payload)
			e.Output = &out
		}
	}
	e.machine, _ = s.machineByArn(rec.StateMachineArn)
	return e, nil
}

// executionOf is the execution a history summary describes.
func executionOf(sum *history.Summary) execution {
	e := execution{Arn: sum.ExecutionArn, MachineArn: sum.StateMachineArn, Name: sum.Name,
		Start: sum.Start, Stop: sum.Stop, Status: sum.Status.String()}
	if sum.HasError {
		e.Error = &sum.Error
	}
	if sum.HasCause {
		e.Cause = &sum.Cause
	}
	return e
}

// maxListedFromHistory bounds how many executions ListExecutions reads
// from the history log (newest first), so a listing stays fast.
const maxListedFromHistory = 10000

// withHistory adds to the recent executions of a machine those in the
// history log (executions with logging on), newest first.
func (s *server) withHistory(recent []execution, machineArn, status string) []execution {
	if s.hist == nil {
		return recent
	}
	seen := make(map[string]bool, len(recent))
	for _, e := range recent {
		seen[e.Arn] = true
	}
	out := recent
	err := s.hist.List(machineArn, status, func(sum *history.Summary) bool {
		if !seen[sum.ExecutionArn] {
			out = append(out, executionOf(sum))
		}
		return len(out) < maxListedFromHistory
	})
	if err != nil {
		s.log.Printf("ListExecutions: reading the history: %v", err)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Start.After(out[j].Start) })
	return out
}
