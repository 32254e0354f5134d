package jsonata

import "time"

// formatDateTime formats t per an XPath F&O picture string.
func formatDateTime(t time.Time, picture, tz string) string {
	throwErr("D3132", -1, "", picture)
	return ""
}

// parseDateTime parses s per an XPath F&O picture string.
func parseDateTime(s, picture string) any {
	throwErr("D3136", -1, "", picture)
	return nil
}
