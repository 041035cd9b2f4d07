// Package syncbuf holds Buffer, the log sink of tests whose servers log from many goroutines
// while the test reads what they logged.
package syncbuf

import (
	"bytes"
	"sync"
)

// Buffer is a bytes.Buffer that writers and readers may use at once. The zero value is empty
// and ready to use.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p, as bytes.Buffer.Write does.
func (s *Buffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// String returns what has been written so far.
func (s *Buffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
