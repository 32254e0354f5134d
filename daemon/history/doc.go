// Package history keeps the execution history of state machines whose
// loggingConfiguration asks for it: the events AWS writes to CloudWatch Logs
// for Express workflows, recorded without slowing executions down,
// compressed on disk, shipped at least once to log sinks and read back for
// GetExecutionHistory, DescribeExecution and ListExecutions.
//
// The path of one execution's events:
//
//	VM ──Event──▶ Recorder        binary records in a pooled buffer, no JSON on the hot path
//	              │ Finish
//	              ▼
//	            staging ring      a memory-mapped file: one copy, no syscall; survives kill -9
//	              │ writer goroutine
//	              ▼
//	            segments          zstd blocks in seg-NNNNNNNNNNNNNNNNNNNN.zst, rotated by size
//	              │               and age, deleted by total size and age; an index per segment
//	              ├──▶ Reader      GetExecutionHistory, DescribeExecution, ListExecutions, stepd history
//	              └──▶ shippers    JSON lines to a file, stdout or an HTTP endpoint, with checkpoints
//
// Records are rendered as AWS shapes (CloudWatch Logs records or
// GetExecutionHistory events) only when read, so the execution pays for a
// copy of its payloads and nothing else.
package history
