package history

import "errors"

// ShipperConfig describes one shipper: where it delivers the records.
type ShipperConfig struct {
	// Name identifies the shipper's checkpoint; it must be unique.
	Name string `json:"name"`
	// Type is "file" (JSON lines appended to Path; "-" is stdout) or
	// "http" (batches of JSON lines POSTed to URL).
	Type string `json:"type"`
	Path string `json:"path,omitempty"`
	URL  string `json:"url,omitempty"`
}

// Validate reports what is wrong with the shipper's settings.
func (c *ShipperConfig) Validate() error {
	if c.Name == "" {
		return errors.New("history shipper: name must not be empty")
	}
	return nil
}

type shipper struct{}

func newShipper(l *Log, c ShipperConfig) (*shipper, error) { return &shipper{}, nil }
func (sh *shipper) run()                                    {}
func (sh *shipper) close()                                  {}
