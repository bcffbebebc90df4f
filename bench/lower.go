//go:build ignore

// Lower writes standard input to standard output in lower case (Unicode simple case
// mapping), the way bench/compare.sh prepares input for ripgrep, whose own -i is slow with
// thousands of literals. Run it with: go run bench/lower.go < in > out
package main

import (
	"bufio"
	"io"
	"log"
	"os"
	"strings"
)

func main() {
	data, err := io.ReadAll(os.Stdin)
	if err != nil {
		log.Fatal(err)
	}
	w := bufio.NewWriter(os.Stdout)
	if _, err := w.WriteString(strings.ToLower(string(data))); err != nil {
		log.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		log.Fatal(err)
	}
}
