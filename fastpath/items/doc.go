// Package items turns the bytes of a Distributed Map's item source into
// items, one at a time: a JSON array, JSON Lines, CSV, Apache Parquet,
// and the manifests that list such files (S3 Inventory and Athena). Each
// reader is a streaming parser: it holds one item (and a read buffer; for
// Parquet, read from its end through an io.ReaderAt, a row group's pages)
// at a time, never the whole file, so a Map over a file of any size runs
// in flat memory.
//
// The package sits beside the VM, not inside it: the VM asks its
// fastpath.ItemReader for a stream of items and never parses files. The
// daemon implements that interface with S3 and these parsers; tests
// implement it in memory with the same parsers. It imports the
// standard library, fastpath/jsonb (JSON validation and quoting),
// github.com/parquet-go/parquet-go (Parquet) and, for S3Reader,
// fastpath's ItemReader types, so the arrows of DESIGN.md hold:
// fastpath does not import it.
//
// Errors carry AWS's messages where AWS's are known (for example
// "Attempting to map over non-iterable node." for a JSON file that is
// not an array); the Map reports them as States.ItemReaderFailed.
package items
