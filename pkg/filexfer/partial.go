package filexfer

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Errors of a partial file.
var (
	ErrOffset  = errors.New("filexfer: data at the wrong offset")
	ErrDamaged = errors.New("filexfer: the file's SHA-256 differs from the sender's")
	ErrSize    = errors.New("filexfer: the file's size differs from the sender's")
	ErrBadID   = errors.New("filexfer: not a transfer ID")
)

// Partial is a file being received under a temporary name in its target
// folder. Its offset is the size it has: after a dropped connection the
// transfer goes on from there.
type Partial struct {
	dir  string
	path string
	f    *os.File
	off  int64
}

// validID reports whether id is safe in a file name (the relay's hex IDs).
func validID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, c := range id {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// PartialPath is the temporary file of transfer id in dir.
func PartialPath(dir, id string) string {
	return filepath.Join(dir, ".relaydesk-"+id+".part")
}

// OpenPartial opens (or creates) transfer id's temporary file in dir and
// goes on from what it holds.
func OpenPartial(dir, id string) (*Partial, error) {
	if !validID(id) {
		return nil, ErrBadID
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create folder %s: %w", dir, err)
	}
	path := PartialPath(dir, id)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	off, err := f.Seek(0, io.SeekEnd)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return &Partial{dir: dir, path: path, f: f, off: off}, nil
}

// Offset is how many bytes the partial file holds.
func (p *Partial) Offset() int64 { return p.off }

// Write appends data, which must start at Offset.
func (p *Partial) Write(off int64, data []byte) error {
	if off != p.off {
		return fmt.Errorf("%w: %d, have %d", ErrOffset, off, p.off)
	}
	n, err := p.f.WriteAt(data, off)
	p.off += int64(n)
	if err != nil {
		return fmt.Errorf("write %s: %w", p.path, err)
	}
	return nil
}

// Finish checks that the file has size bytes whose SHA-256 is sum (hex)
// and gives it name in its folder (Place); it returns the path. A file
// that does not match is removed.
func (p *Partial) Finish(size int64, sum, name string) (string, error) {
	if p.off != size {
		p.Abort()
		return "", fmt.Errorf("%w: %d bytes arrived, %d were sent", ErrSize, p.off, size)
	}
	got, err := HashFile(p.f)
	if err != nil {
		p.Abort()
		return "", err
	}
	if got != sum {
		p.Abort()
		return "", ErrDamaged
	}
	if err := p.f.Close(); err != nil {
		os.Remove(p.path)
		return "", fmt.Errorf("write %s: %w", p.path, err)
	}
	dst, err := Place(p.path, p.dir, name)
	if err != nil {
		os.Remove(p.path)
	}
	return dst, err
}

// Abort closes and removes the partial file.
func (p *Partial) Abort() {
	p.f.Close()
	os.Remove(p.path)
}

// Close closes the partial file and keeps it, to resume later.
func (p *Partial) Close() { p.f.Close() }

// HashFile is the SHA-256 (hex) of everything r holds.
func HashFile(r io.ReaderAt) (string, error) {
	h := sha256.New()
	if _, err := io.Copy(h, io.NewSectionReader(r, 0, 1<<62)); err != nil {
		return "", fmt.Errorf("read the file back: %w", err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
