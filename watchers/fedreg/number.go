package fedreg

import "github.com/vigilbot/vigil/watchers/dedup"

// NormalizeDocumentNumber returns the canonical form of a Federal Register document number
// (see dedup.DocumentNumber, which owns document identity), so that one document has one
// identity wherever its number was read.
func NormalizeDocumentNumber(s string) string { return dedup.DocumentNumber(s) }

// isDocumentNumber reports whether s (lower case) is shaped like a document number.
func isDocumentNumber(s string) bool { return dedup.IsDocumentNumber(s) }
