package daemon

// metricFamily is what /metrics says of a family beyond what the metrics
// package writes: its help text, and for a few of the package's own Go
// and process metrics, a conventional name or type (Prometheus's linter,
// promtool check metrics, refuses a counter named _count and a gauge
// named _total).
type metricFamily struct {
	help   string
	rename string // the family's name in /metrics, when not its own
	typ    string // its # TYPE, when not the one the package writes
}

// metricHelp describes every family /metrics serves. A family missing
// here has an empty # HELP, which promtool refuses (TestPrometheusScrape
// and TestMetricsLint fail on it).
var metricHelp = map[string]metricFamily{
	// The API and executions.
	"stepd_http_requests_total":           {help: "API requests answered, by action (AWS API action, or REST) and HTTP status code."},
	"stepd_http_request_duration_seconds": {help: "Time from reading an API request to writing its answer, by action."},
	"stepd_http_panics_total":             {help: "Panics recovered while serving a request (each answered InternalFailure)."},
	"stepd_executions_total":              {help: "Executions finished, by state machine and status."},
	"stepd_executions_in_flight":          {help: "Executions running now."},
	"stepd_executions_throttled_total":    {help: "Executions refused with ThrottlingException because -max-inflight were running."},
	"stepd_execution_duration_seconds":    {help: "Time an execution ran in the engine, from its first state to its end."},
	"stepd_state_transitions_total":       {help: "States entered by all executions."},
	"stepd_task_duration_seconds":         {help: "Time of one Task call to an integration (a call that is retried counts each try), by integration."},
	"stepd_task_calls_total":              {help: "Task calls to integrations, by integration and outcome (ok or error)."},
	"stepd_auth_denied_total":             {help: "Requests refused by authentication or authorization, by AWS error code."},

	// Durable STANDARD executions (daemon/durable).
	"stepd_durable_runs_total":              {help: "Runs of STANDARD executions on this node: first runs and replays that resume one."},
	"stepd_durable_parked":                  {help: "STANDARD executions parked on this node's timer, waiting for their time (a Wait, or a retry of a commit that failed)."},
	"stepd_durable_checkpoints_total":       {help: "Checkpoints of STANDARD executions committed through Raft (the records of one or more transitions each)."},
	"stepd_durable_checkpoint_errors_total": {help: "Checkpoints that could not be committed (no quorum, a full disk, leadership lost); the execution parks and tries again."},
	"stepd_durable_records_total":           {help: "Records (clock readings, random numbers, task outcomes, ended waits, history events) committed for STANDARD executions."},
	"stepd_activity_claims_refused_total":   {help: "Activity tasks a GetActivityTask poll of this node tried to take and another worker (of another node) had taken, or whose execution had ended: a Raft commit each."},

	// The cluster.
	"stepd_cluster_compile_errors_total":    {help: "Definitions a replicated change carried that this node could not compile."},
	"stepd_raft_state":                      {help: "This node's Raft state: 0 follower, 1 candidate, 2 leader, 3 shutdown."},
	"stepd_raft_term":                       {help: "This node's current Raft term."},
	"stepd_raft_commit_index":               {help: "The highest Raft log index this node knows committed."},
	"stepd_raft_applied_index":              {help: "The highest Raft log index this node has applied."},
	"stepd_raft_last_contact_seconds":       {help: "Time since this node last heard from the leader: 0 on the leader, -1 before any contact."},
	"stepd_raft_ready":                      {help: "1 once a leader is known and this node has applied what was committed when it first saw one."},
	"stepd_raft_rejected_connections_total": {help: "Connections to the Raft port refused (failed TLS handshake, or no protocol named)."},
	"stepd_raft_apply_duration_seconds":     {help: "Time to commit and apply a control-plane change (a write of the API) through Raft."},

	// The execution history.
	"stepd_history_events_total":                   {help: "History events written to the staging ring."},
	"stepd_history_records_total":                  {help: "Execution records compressed into history segments."},
	"stepd_history_records_shed_total":             {help: "Execution records dropped because the staging ring was full (-history-overload shed) or the record too large."},
	"stepd_history_records_recovered_total":        {help: "Execution records recovered from the staging ring at start, after a crash."},
	"stepd_history_bytes_uncompressed_total":       {help: "Bytes of execution records before compression."},
	"stepd_history_bytes_compressed_total":         {help: "Bytes of compressed history written to segments."},
	"stepd_history_writer_errors_total":            {help: "Errors of the history writer (disk full, say)."},
	"stepd_history_segments_deleted_total":         {help: "History segments deleted by -history-max-bytes or -history-max-age."},
	"stepd_history_append_blocked_total":           {help: "Times an execution waited for room in the staging ring (-history-overload block)."},
	"stepd_history_writer_cpu_seconds_total":       {help: "CPU time the history writer spent compressing."},
	"stepd_history_queue_bytes":                    {help: "Bytes staged and not yet written to segments."},
	"stepd_history_shipper_lag_bytes":              {help: "Bytes of history a shipper has yet to deliver, by shipper."},
	"stepd_history_shipper_events_total":           {help: "History events a shipper delivered, by shipper."},
	"stepd_history_shipper_failures_total":         {help: "Failed deliveries of a shipper (retried), by shipper."},
	"stepd_history_shipper_segments_skipped_total": {help: "Segments a shipper skipped because retention deleted them first, by shipper."},

	// The Go runtime.
	"go_info":                             {help: "The Go version stepd was built with."},
	"go_info_ext":                         {help: "The Go compiler, GOOS, GOARCH and GOROOT stepd was built with."},
	"go_goroutines":                       {help: "Goroutines that exist now."},
	"go_threads":                          {help: "OS threads the Go runtime created."},
	"go_gomaxprocs":                       {help: "GOMAXPROCS: the OS threads that run Go code at once."},
	"go_cpu_count":                        {help: "CPUs the process may run on.", rename: "go_cpus"},
	"go_cgo_calls_count":                  {help: "Calls into C code.", rename: "go_cgo_calls_total"},
	"go_gc_forced_count":                  {help: "Garbage collections forced by the application.", rename: "go_gc_forced_total"},
	"go_gc_duration_seconds":              {help: "Pause times of garbage collections (summary)."},
	"go_gc_pauses_seconds":                {help: "Stop-the-world pause times of garbage collections."},
	"go_gc_cpu_seconds_total":             {help: "CPU time spent in garbage collection."},
	"go_gc_mark_assist_cpu_seconds_total": {help: "CPU time goroutines spent assisting the garbage collector."},
	"go_scavenge_cpu_seconds_total":       {help: "CPU time spent returning memory to the OS."},
	"go_sched_latencies_seconds":          {help: "Time goroutines waited runnable before running."},
	"go_mutex_wait_seconds_total":         {help: "Time goroutines spent blocked on sync.Mutex and sync.RWMutex."},
	"go_memlimit_bytes":                   {help: "The Go runtime's soft memory limit (GOMEMLIMIT)."},
	"go_memstats_alloc_bytes":             {help: "Bytes of heap objects allocated and not yet freed."},
	"go_memstats_alloc_bytes_total":       {help: "Bytes of heap objects allocated since the start."},
	"go_memstats_buck_hash_sys_bytes":     {help: "Bytes of the profiling bucket hash table."},
	"go_memstats_frees_total":             {help: "Heap objects freed."},
	"go_memstats_gc_cpu_fraction":         {help: "Fraction of CPU time used by the garbage collector since the start."},
	"go_memstats_gc_sys_bytes":            {help: "Bytes of garbage collection metadata."},
	"go_memstats_heap_alloc_bytes":        {help: "Bytes of heap objects allocated and not yet freed."},
	"go_memstats_heap_idle_bytes":         {help: "Bytes of heap spans without objects."},
	"go_memstats_heap_inuse_bytes":        {help: "Bytes of heap spans with objects."},
	"go_memstats_heap_objects":            {help: "Heap objects allocated and not yet freed."},
	"go_memstats_heap_released_bytes":     {help: "Bytes of heap returned to the OS."},
	"go_memstats_heap_sys_bytes":          {help: "Bytes of heap memory obtained from the OS."},
	"go_memstats_last_gc_time_seconds":    {help: "Time of the last garbage collection, in seconds since the epoch."},
	"go_memstats_lookups_total":           {help: "Pointer lookups by the runtime."},
	"go_memstats_mallocs_total":           {help: "Heap objects allocated."},
	"go_memstats_mcache_inuse_bytes":      {help: "Bytes of mcache structures in use."},
	"go_memstats_mcache_sys_bytes":        {help: "Bytes of memory obtained from the OS for mcache structures."},
	"go_memstats_mspan_inuse_bytes":       {help: "Bytes of mspan structures in use."},
	"go_memstats_mspan_sys_bytes":         {help: "Bytes of memory obtained from the OS for mspan structures."},
	"go_memstats_next_gc_bytes":           {help: "Heap size at which the next garbage collection starts."},
	"go_memstats_other_sys_bytes":         {help: "Bytes of other runtime allocations."},
	"go_memstats_stack_inuse_bytes":       {help: "Bytes of stack spans in use."},
	"go_memstats_stack_sys_bytes":         {help: "Bytes of stack memory obtained from the OS."},
	"go_memstats_sys_bytes":               {help: "Bytes of memory obtained from the OS in all."},

	// The process.
	"process_cpu_seconds_total":                     {help: "CPU time of the process, user and system."},
	"process_cpu_seconds_user_total":                {help: "User CPU time of the process."},
	"process_cpu_seconds_system_total":              {help: "System CPU time of the process."},
	"process_major_pagefaults_total":                {help: "Page faults that read from disk."},
	"process_minor_pagefaults_total":                {help: "Page faults served without reading from disk."},
	"process_num_threads":                           {help: "OS threads of the process."},
	"process_resident_memory_bytes":                 {help: "Resident memory (RSS) of the process."},
	"process_resident_memory_anon_bytes":            {help: "Resident anonymous memory (heap, stacks) of the process."},
	"process_resident_memory_file_bytes":            {help: "Resident file-backed memory (the binary, mapped files) of the process."},
	"process_resident_memory_shared_bytes":          {help: "Resident shared memory of the process."},
	"process_resident_memory_peak_bytes":            {help: "Peak resident memory of the process."},
	"process_virtual_memory_bytes":                  {help: "Virtual memory size of the process."},
	"process_virtual_memory_peak_bytes":             {help: "Peak virtual memory size of the process."},
	"process_start_time_seconds":                    {help: "Start time of the process, in seconds since the epoch."},
	"process_io_read_bytes_total":                   {help: "Bytes the process read (any source).", typ: "counter"},
	"process_io_written_bytes_total":                {help: "Bytes the process wrote (any destination).", typ: "counter"},
	"process_io_read_syscalls_total":                {help: "Read system calls of the process.", typ: "counter"},
	"process_io_write_syscalls_total":               {help: "Write system calls of the process.", typ: "counter"},
	"process_io_storage_read_bytes_total":           {help: "Bytes the process read from storage.", typ: "counter"},
	"process_io_storage_written_bytes_total":        {help: "Bytes the process wrote to storage.", typ: "counter"},
	"process_pressure_cpu_waiting_seconds_total":    {help: "Time some of the cgroup's tasks waited for CPU (PSI)."},
	"process_pressure_cpu_stalled_seconds_total":    {help: "Time all of the cgroup's tasks waited for CPU (PSI)."},
	"process_pressure_io_waiting_seconds_total":     {help: "Time some of the cgroup's tasks waited for I/O (PSI)."},
	"process_pressure_io_stalled_seconds_total":     {help: "Time all of the cgroup's tasks waited for I/O (PSI)."},
	"process_pressure_memory_waiting_seconds_total": {help: "Time some of the cgroup's tasks waited for memory (PSI)."},
	"process_pressure_memory_stalled_seconds_total": {help: "Time all of the cgroup's tasks waited for memory (PSI)."},
	"process_cgroup_cpu_throttled_seconds_total":    {help: "Time the cgroup was throttled by its CPU limit."},
}
