package fastpath

import "strconv"

// arenaLimit is Options.MaxArenaBytes or its default.
func (ex *Execution) arenaLimit() int {
	if ex.opts.MaxArenaBytes > 0 {
		return ex.opts.MaxArenaBytes
	}
	return DefaultMaxArenaBytes
}

// checkArena fails the execution once its arena outgrows the limit.
func (ex *Execution) checkArena() *Failure {
	if len(ex.arena) <= ex.arenaLimit() {
		return nil
	}
	return ex.arenaFull()
}

// arenaFull is the failure of an execution whose values outgrew the limit.
func (ex *Execution) arenaFull() *Failure {
	return &Failure{Name: ErrRuntime, Cause: "The execution exceeded the limit of " + strconv.Itoa(ex.arenaLimit()>>20) + " MiB of memory for its values"}
}

// compactArena copies what the next state can reach (its input and the
// variables, after the execution input when that is the arena's prefix)
// into a new arena and returns the input's new place. It may only run
// between the states of the outermost scope, where nothing else points
// into the arena: no branch outputs are being collected and no enclosing
// scope holds values.
func (ex *Execution) compactArena(input []byte) []byte {
	old := ex.arena
	keep := 0
	if len(ex.input) > 0 && len(old) >= len(ex.input) && &old[0] == &ex.input[0] {
		keep = len(ex.input)
	}
	size := keep + len(input)
	for _, v := range ex.vars {
		size += len(v)
	}
	arena := append(make([]byte, 0, size+size/2), old[:keep]...)
	if keep > 0 {
		ex.input = arena[:keep:keep]
	}
	move := func(v []byte) []byte {
		if v == nil {
			return nil
		}
		mark := len(arena)
		arena = append(arena, v...)
		return arena[mark:len(arena):len(arena)]
	}
	input = move(input)
	for i, v := range ex.vars {
		ex.vars[i] = move(v)
	}
	ex.arena = arena
	ex.index.reset()
	if ex.qc != nil {
		ex.qc.reset()
	}
	return input
}
