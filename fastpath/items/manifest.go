package items

import (
	"bufio"
	"encoding/json"
	"io"
	"strings"
)

// InventoryManifest is an Amazon S3 Inventory manifest.json: the CSV
// files (gzip-compressed, without a header row) that hold the inventory,
// and the names of their columns (InputType MANIFEST). Each row of those
// files is one item, read with NewCSV and Columns as given headers.
type InventoryManifest struct {
	// Bucket holds the files (the manifest's destinationBucket).
	Bucket string
	// Keys are the files' keys, in the manifest's order.
	Keys []string
	// Columns name the fields of each row (the manifest's fileSchema).
	Columns []string
}

// inventoryJSON is the part of manifest.json that locates the files.
type inventoryJSON struct {
	DestinationBucket string `json:"destinationBucket"`
	FileFormat        string `json:"fileFormat"`
	FileSchema        string `json:"fileSchema"`
	Files             []struct {
		Key string `json:"key"`
	} `json:"files"`
}

// ReadInventoryManifest parses an S3 Inventory manifest.json. Only CSV
// inventories can be read (as AWS documents); the manifest is small (it
// lists files, not objects), so it is read whole, at most 16 MiB.
func ReadInventoryManifest(r io.Reader) (*InventoryManifest, error) {
	var m inventoryJSON
	if err := json.NewDecoder(io.LimitReader(r, 16<<20)).Decode(&m); err != nil {
		return nil, failed("The S3 Inventory manifest is not valid JSON: " + err.Error())
	}
	if m.FileFormat != "CSV" {
		return nil, failed("The S3 Inventory manifest's fileFormat must be CSV, but was " + m.FileFormat)
	}
	bucket, ok := strings.CutPrefix(m.DestinationBucket, "arn:aws:s3:::")
	if !ok || bucket == "" {
		return nil, failed("The S3 Inventory manifest's destinationBucket is not an S3 bucket ARN: " + m.DestinationBucket)
	}
	if strings.TrimSpace(m.FileSchema) == "" {
		return nil, failed("The S3 Inventory manifest has no fileSchema")
	}
	out := &InventoryManifest{Bucket: bucket}
	for _, c := range strings.Split(m.FileSchema, ",") {
		out.Columns = append(out.Columns, strings.TrimSpace(c))
	}
	for _, f := range m.Files {
		out.Keys = append(out.Keys, f.Key)
	}
	return out, nil
}

// AthenaManifest reads an Athena UNLOAD manifest: one s3://bucket/key
// URI a line, naming the data files (ReaderConfig ManifestType
// ATHENA_DATA). It streams: a manifest may list many files.
type AthenaManifest struct {
	s *bufio.Scanner
}

// NewAthenaManifest returns an AthenaManifest reading from r.
func NewAthenaManifest(r io.Reader) *AthenaManifest {
	s := bufio.NewScanner(r)
	s.Buffer(nil, 64<<10)
	return &AthenaManifest{s: s}
}

// Next returns the bucket and key of the next data file, or io.EOF after
// the last. Blank lines are skipped.
func (a *AthenaManifest) Next() (bucket, key string, err error) {
	for a.s.Scan() {
		line := strings.TrimSpace(a.s.Text())
		if line == "" {
			continue
		}
		b, k, ok := ParseS3URI(line)
		if !ok {
			return "", "", failed("The Athena manifest lists a file that is not an s3:// URI: " + line)
		}
		return b, k, nil
	}
	if err := a.s.Err(); err != nil {
		return "", "", failed("cannot read the Athena manifest: " + err.Error())
	}
	return "", "", io.EOF
}

// ParseS3URI splits s3://bucket/key.
func ParseS3URI(uri string) (bucket, key string, ok bool) {
	rest, ok := strings.CutPrefix(uri, "s3://")
	if !ok {
		return "", "", false
	}
	bucket, key, ok = strings.Cut(rest, "/")
	return bucket, key, ok && bucket != "" && key != ""
}
