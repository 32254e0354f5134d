package awsclient

import (
	"bytes"
	"strconv"
	"unicode/utf8"
)

// FindXML returns the text of the first element called name in an XML
// document (a query or REST-XML answer), unescaped, and whether there is
// one. The result is a span of body unless it held entities, in which case
// it is a new slice. It reads the simple XML AWS sends: elements, text,
// entities and CDATA; on malformed input it reports not found.
func FindXML(body []byte, name string) ([]byte, bool) {
	i := 0
	for {
		j := bytes.IndexByte(body[i:], '<')
		if j < 0 {
			return nil, false
		}
		i += j + 1
		if i+len(name) >= len(body) {
			return nil, false
		}
		if !bytes.HasPrefix(body[i:], []byte(name)) {
			continue
		}
		k := i + len(name)
		switch body[k] {
		case '>':
		case '/':
			return nil, true // <name/>
		case ' ', '\t', '\n', '\r':
			e := bytes.IndexByte(body[k:], '>')
			if e < 0 {
				return nil, false
			}
			if body[k+e-1] == '/' {
				return nil, true
			}
			k += e
		default:
			continue
		}
		start := k + 1
		end := bytes.Index(body[start:], []byte("</"+name))
		if end < 0 {
			return nil, false
		}
		text := body[start : start+end]
		if bytes.IndexByte(text, '&') < 0 && !bytes.HasPrefix(text, []byte("<![CDATA[")) {
			return text, true
		}
		return unescapeXML(nil, text), true
	}
}

// unescapeXML appends text with its entities and CDATA sections decoded.
func unescapeXML(dst, text []byte) []byte {
	for len(text) > 0 {
		if bytes.HasPrefix(text, []byte("<![CDATA[")) {
			e := bytes.Index(text, []byte("]]>"))
			if e < 0 {
				return append(dst, text[9:]...)
			}
			dst = append(dst, text[9:e]...)
			text = text[e+3:]
			continue
		}
		c := text[0]
		if c != '&' {
			dst = append(dst, c)
			text = text[1:]
			continue
		}
		semi := bytes.IndexByte(text, ';')
		if semi < 0 {
			dst = append(dst, c)
			text = text[1:]
			continue
		}
		ent := text[1:semi]
		switch string(ent) {
		case "amp":
			dst = append(dst, '&')
		case "lt":
			dst = append(dst, '<')
		case "gt":
			dst = append(dst, '>')
		case "quot":
			dst = append(dst, '"')
		case "apos":
			dst = append(dst, '\'')
		default:
			var n uint64
			var err error = strconv.ErrSyntax
			if len(ent) > 1 && ent[0] == '#' {
				if ent[1] == 'x' || ent[1] == 'X' {
					n, err = strconv.ParseUint(string(ent[2:]), 16, 32)
				} else {
					n, err = strconv.ParseUint(string(ent[1:]), 10, 32)
				}
			}
			if err != nil {
				dst = append(dst, text[:semi+1]...)
			} else {
				dst = utf8.AppendRune(dst, rune(n))
			}
		}
		text = text[semi+1:]
	}
	return dst
}

// XMLNode is one element of a parsed XML document.
type XMLNode struct {
	Name     string
	Text     []byte // unescaped text of a leaf element
	Children []*XMLNode
}

// Child returns the first child called name, or nil.
func (n *XMLNode) Child(name string) *XMLNode {
	for _, c := range n.Children {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// ParseXML parses an XML document into a tree of elements, dropping the
// declaration, comments, attributes and namespace prefixes' meaning (a
// prefixed name keeps its local part). It returns nil on malformed input.
// It allocates; it is for answers of the generic aws-sdk path and errors.
func ParseXML(body []byte) *XMLNode {
	root := &XMLNode{}
	stack := []*XMLNode{root}
	i := 0
	textStart := -1
	for i < len(body) {
		if body[i] != '<' {
			if textStart < 0 {
				textStart = i
			}
			i++
			continue
		}
		if bytes.HasPrefix(body[i:], []byte("<![CDATA[")) {
			e := bytes.Index(body[i:], []byte("]]>"))
			if e < 0 {
				return nil
			}
			if textStart < 0 {
				textStart = i
			}
			i += e + 3
			continue
		}
		top := stack[len(stack)-1]
		text := []byte(nil)
		if textStart >= 0 {
			text = body[textStart:i]
			textStart = -1
		}
		e := bytes.IndexByte(body[i:], '>')
		if e < 0 {
			return nil
		}
		tag := body[i+1 : i+e]
		i += e + 1
		switch {
		case len(tag) > 0 && (tag[0] == '?' || tag[0] == '!'):
			if bytes.HasPrefix(tag, []byte("!--")) && !bytes.HasSuffix(tag, []byte("--")) {
				c := bytes.Index(body[i:], []byte("-->"))
				if c < 0 {
					return nil
				}
				i += c + 3
			}
		case len(tag) > 0 && tag[0] == '/':
			if len(stack) == 1 {
				return nil
			}
			if len(top.Children) == 0 && text != nil {
				top.Text = unescapeXML(nil, text)
			}
			stack = stack[:len(stack)-1]
		default:
			self := len(tag) > 0 && tag[len(tag)-1] == '/'
			if self {
				tag = tag[:len(tag)-1]
			}
			if sp := bytes.IndexAny(tag, " \t\r\n"); sp >= 0 {
				tag = tag[:sp]
			}
			if c := bytes.IndexByte(tag, ':'); c >= 0 {
				tag = tag[c+1:]
			}
			n := &XMLNode{Name: string(tag)}
			top.Children = append(top.Children, n)
			if !self {
				stack = append(stack, n)
			}
		}
	}
	if len(stack) != 1 || len(root.Children) != 1 {
		return nil
	}
	return root.Children[0]
}
