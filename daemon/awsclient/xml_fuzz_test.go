package awsclient

import (
	"bytes"
	"testing"
)

// FuzzParseXML feeds arbitrary answers to the XML readers, which parse
// what services (or whatever answers at a configured endpoint) send: they
// must never panic, and FindXML must agree with ParseXML on a simple
// document's leaf.
func FuzzParseXML(f *testing.F) {
	for _, s := range []string{
		`<?xml version="1.0"?><SendMessageResponse><SendMessageResult><MessageId>a&amp;b</MessageId></SendMessageResult></SendMessageResponse>`,
		`<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message><RequestId>1</RequestId></Error>`,
		`<a><![CDATA[x<y]]></a>`, `<a/>`, `<a b="c">&#x41;&#66;</a>`, `<!-- c --><a></a>`, `<`, `<a>`, `</a>`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		root := ParseXML(b)
		v, ok := FindXML(b, "MessageId")
		if root != nil && ok && len(root.Children) == 1 && root.Children[0].Name == "MessageId" && len(root.Children[0].Children) == 0 &&
			!bytes.Contains(b, []byte("<!")) && !bytes.Contains(b, []byte("MessageId ")) && !bytes.Contains(b, []byte("<?")) && bytes.Count(b, []byte("<MessageId")) == 1 {
			if !bytes.Equal(v, root.Children[0].Text) {
				t.Errorf("FindXML %q, ParseXML %q", v, root.Children[0].Text)
			}
		}
		_ = unescapeXML(nil, b)
	})
}
