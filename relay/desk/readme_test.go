package desk

import (
	"os"
	"strings"
	"testing"
)

// The README's permission table is Table, as Markdown renders it; the
// failure prints the table to paste after a change.
func TestREADMEShowsThePermissionTable(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), Markdown()) {
		t.Fatalf("README.md does not contain the permission table; paste this under \"Roles and permissions\":\n%s", Markdown())
	}
}
