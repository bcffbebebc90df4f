package config

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse checks that no input makes Parse panic, and that whatever it accepts is valid
// and can be printed.
func FuzzParse(f *testing.F) {
	f.Add(Example())
	files, err := filepath.Glob("testdata/*/*.yaml")
	if err != nil {
		f.Fatal(err)
	}
	for _, path := range files {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		// Keep the fuzzer away from the file system: *_file reads whatever path it names,
		// and a fuzzer could name a device or a pipe.
		if bytes.Contains(data, []byte("_file")) {
			t.Skip("reads files")
		}
		cfg, err := Parse(data, "fuzz.yaml")
		if err != nil {
			if cfg != nil {
				t.Errorf("Parse returned a config with error %v", err)
			}
			return
		}
		if err := cfg.Validate(); err != nil {
			t.Errorf("Parse accepted a config that Validate rejects: %v", err)
		}
		if _, err := cfg.Redacted(); err != nil {
			t.Errorf("Redacted() = %v", err)
		}
	})
}
