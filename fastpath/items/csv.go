package items

import (
	"encoding/csv"
	"io"
	"sort"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/stepd/stepd/fastpath/jsonb"
)

// CSV header locations (ReaderConfig.CSVHeaderLocation).
const (
	HeaderFirstRow = "FIRST_ROW"
	HeaderGiven    = "GIVEN"
)

// Delimiters maps ReaderConfig.CSVDelimiter to its character.
var Delimiters = map[string]rune{"COMMA": ',', "PIPE": '|', "SEMICOLON": ';', "SPACE": ' ', "TAB": '\t'}

// ErrDuplicateHeaders is the cause when two CSV columns have one name.
var ErrDuplicateHeaders = failed("CSV headers cannot contain duplicates.")

// CSVConfig says how to read a CSV file.
type CSVConfig struct {
	// HeaderLocation is HeaderFirstRow (the first record names the
	// columns) or HeaderGiven (Headers does).
	HeaderLocation string
	Headers        []string
	// Delimiter separates fields; 0 means a comma.
	Delimiter rune
}

// CSV reads the records of a CSV file as objects from column name to the
// field's text (InputType CSV): values are always strings, a missing
// field is "", fields past the last column are dropped. Keys come in the
// order AWS writes them, which is the iteration order of a
// java.util.HashMap holding the columns (see javaHashOrder): recorded
// answers show {"0":…,"{}":…,"True":…} for the columns 0,True,{}.
type CSV struct {
	r       *csv.Reader
	cfg     CSVConfig
	headers [][]byte // quoted column names, in javaHashOrder
	order   []int    // column of each key, in output order
	started bool
}

// NewCSV returns a CSV reading from r.
func NewCSV(r io.Reader, cfg CSVConfig) *CSV {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	if cfg.Delimiter != 0 {
		cr.Comma = cfg.Delimiter
	}
	return &CSV{r: cr, cfg: cfg}
}

// Next implements Reader.
func (c *CSV) Next(dst []byte) ([]byte, error) {
	if !c.started {
		c.started = true
		names := c.cfg.Headers
		if c.cfg.HeaderLocation != HeaderGiven {
			rec, err := c.read()
			if err != nil {
				return dst, err
			}
			names = append([]string(nil), rec...)
		}
		if err := c.setHeaders(names); err != nil {
			return dst, err
		}
	}
	rec, err := c.read()
	if err != nil {
		return dst, err
	}
	if len(c.order) == 0 {
		return append(dst, "{}"...), nil
	}
	for i, col := range c.order {
		if i == 0 {
			dst = append(dst, '{')
		} else {
			dst = append(dst, ',')
		}
		dst = append(dst, c.headers[i]...)
		dst = append(dst, ':')
		field := ""
		if col < len(rec) {
			field = rec[col]
		}
		dst = jsonb.AppendQuotedString(dst, validUTF8(field))
	}
	return append(dst, '}'), nil
}

func (c *CSV) read() ([]string, error) {
	rec, err := c.r.Read()
	if err != nil && err != io.EOF {
		return nil, failed("The CSV file is not valid: " + err.Error())
	}
	return rec, err
}

func (c *CSV) setHeaders(names []string) error {
	seen := make(map[string]bool, len(names))
	for _, n := range names {
		if seen[n] {
			return ErrDuplicateHeaders
		}
		seen[n] = true
	}
	c.order = javaHashOrder(names)
	for _, col := range c.order {
		c.headers = append(c.headers, jsonb.AppendQuotedString(nil, validUTF8(names[col])))
	}
	return nil
}

// validUTF8 replaces bytes that are not UTF-8 with U+FFFD, as Java's
// decoding of the file does, so that every item is valid JSON.
func validUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}

// javaHashOrder returns the indexes of keys in the order a
// java.util.HashMap (default capacity 16, load factor 0.75) that got them
// inserted in that order iterates them: by bucket, String.hashCode
// spread as HashMap.hash does, then by insertion within a bucket. keys
// must be distinct.
func javaHashOrder(keys []string) []int {
	capacity := 16
	for len(keys) > capacity*3/4 {
		capacity *= 2
	}
	bucket := make([]uint32, len(keys))
	order := make([]int, len(keys))
	for i, k := range keys {
		var h uint32
		for _, u := range utf16.Encode([]rune(k)) {
			h = 31*h + uint32(u)
		}
		bucket[i] = (h ^ h>>16) & uint32(capacity-1)
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return bucket[order[a]] < bucket[order[b]] })
	return order
}
